/// One detected change to a document, on its way into the durable queue.
public struct Change: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The document has (new) content.
        case upsert
        /// The document is gone: write a tombstone.
        case delete
    }

    public var key: DocumentKey
    public var kind: Kind
    /// Where the content comes from.
    public var origin: Origin
    /// The content hash seen when the change was detected, if known.
    public var contentHash: ContentHash?
    public var priority: Priority
    /// Whether the change arrived while its source was busy (a burst or a
    /// flood), which earns it the longer settle window, or was settled by its
    /// sender, which skips the window.
    public var activity: Activity

    public enum Activity: Sendable, Equatable {
        case quiet
        case busy
        /// The sender already coalesced its changes (an API batch marked
        /// `coalesced`): there is nothing left to wait for, so it is ready at once.
        case settled
    }

    public init(
        key: DocumentKey, kind: Kind, origin: Origin, contentHash: ContentHash? = nil, priority: Priority,
        activity: Activity = .quiet
    ) {
        self.key = key
        self.kind = kind
        self.origin = origin
        self.contentHash = contentHash
        self.priority = priority
        self.activity = activity
    }
}

/// Where a document's content lives.
public enum Origin: Sendable, Equatable {
    /// A file under a tenant folder.
    case file(FileLocation)
    /// Pushed over the HTTP API; the content is kept in the store by its hash.
    case api(DocumentMeta)

    public var sourceName: String {
        switch self {
        case .file: "file"
        case .api: "api"
        }
    }
}

/// Where a file-backed document lives on disk.
public struct FileLocation: Sendable, Equatable {
    /// The folder given to `sluice run`; vanished files are tombstoned per scan root.
    public var scanRoot: String
    /// The tenant's folder, which symbolic links may not lead out of.
    public var tenantDirectory: String
    /// Absolute on-disk path (its bytes may differ from the NFC-normalized docId).
    public var path: String

    public init(scanRoot: String, tenantDirectory: String, path: String) {
        self.scanRoot = scanRoot
        self.tenantDirectory = tenantDirectory
        self.path = path
    }
}
