/// What the store knows about a document's indexed state.
public struct DocumentState: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Its chunks are in the index.
        case indexed
        /// Recorded but not indexed, with a reason (unsupported type, too large, binary...).
        case skipped
        /// Tombstoned: no chunks remain.
        case deleted
    }

    public var key: DocumentKey
    public var status: Status
    /// Content hash of the indexed version (a tombstone marker when deleted).
    public var contentHash: String
    public var revision: Int64
    public var chunkCount: Int
    /// Fingerprint of the embedder and chunker that produced the chunks.
    public var settingsFingerprint: String
    public var source: String
    public var title: String?
    public var reason: String?
    /// For an indexed document: what its extractor left out and says so (images without text...).
    public var notes: [String] = []
    public var updatedAt: Timestamp
    /// Times a worker completed the document.
    public var processings: Int = 1

    public init(
        key: DocumentKey, status: Status, contentHash: String, revision: Int64, chunkCount: Int,
        settingsFingerprint: String, source: String, title: String?, reason: String?, updatedAt: Timestamp
    ) {
        self.key = key
        self.status = status
        self.contentHash = contentHash
        self.revision = revision
        self.chunkCount = chunkCount
        self.settingsFingerprint = settingsFingerprint
        self.source = source
        self.title = title
        self.reason = reason
        self.updatedAt = updatedAt
    }
}
