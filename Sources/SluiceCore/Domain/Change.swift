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

    public init(key: DocumentKey, kind: Kind, origin: Origin, contentHash: ContentHash? = nil, priority: Priority) {
        self.key = key
        self.kind = kind
        self.origin = origin
        self.contentHash = contentHash
        self.priority = priority
    }
}

/// Where a document's content lives.
public enum Origin: Sendable, Equatable {
    /// A file under a tenant folder. `path` is the absolute on-disk path (its
    /// bytes may differ from the NFC-normalized docId); `root` is the tenant's
    /// folder, which symbolic links may not lead out of.
    case file(root: String, path: String)
    /// Pushed over the HTTP API.
    case api

    public var sourceName: String {
        switch self {
        case .file: "file"
        case .api: "api"
        }
    }
}
