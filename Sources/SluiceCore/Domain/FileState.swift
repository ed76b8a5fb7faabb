/// What Sluice last recorded about a file, to tell cheaply whether it changed.
///
/// A file is unchanged when size, inode, and nanosecond mtime and ctime all
/// match, and its mtime is older than `recordedAt` (otherwise it was "racy":
/// it may have changed again within the same clock tick, so it is hashed, as
/// git does with racy index entries).
public struct FileState: Sendable, Equatable {
    public var key: DocumentKey
    /// The scan root the file was found under (tombstones apply per root).
    public var root: String
    /// The tenant's folder: symbolic links may not lead out of it.
    public var tenantDirectory: String
    /// Absolute on-disk path.
    public var path: String
    public var stat: FileStat
    public var contentHash: ContentHash
    /// When this state was recorded, in nanoseconds since the epoch.
    public var recordedAtNanos: Int64

    public init(
        key: DocumentKey, root: String, tenantDirectory: String, path: String, stat: FileStat, contentHash: ContentHash,
        recordedAtNanos: Int64
    ) {
        self.key = key
        self.root = root
        self.tenantDirectory = tenantDirectory
        self.path = path
        self.stat = stat
        self.contentHash = contentHash
        self.recordedAtNanos = recordedAtNanos
    }

    /// Whether `current` can be trusted to have the recorded content without hashing it.
    public func isUnchanged(comparedTo current: FileStat) -> Bool {
        stat == current && current.mtimeNanos < recordedAtNanos
    }
}

/// The parts of `stat(2)` that tell whether a file changed.
public struct FileStat: Sendable, Equatable {
    public var size: Int64
    public var mtimeNanos: Int64
    public var ctimeNanos: Int64
    public var inode: UInt64

    public init(size: Int64, mtimeNanos: Int64, ctimeNanos: Int64, inode: UInt64) {
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.ctimeNanos = ctimeNanos
        self.inode = inode
    }
}
