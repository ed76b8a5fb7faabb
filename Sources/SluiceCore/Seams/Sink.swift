/// Where indexed documents go: the embedded index, a Qdrant collection, a
/// webhook, or another Sluice.
///
/// The state store always keeps its own record of every document's chunks
/// (which the embedded index searches directly). A remote sink is written
/// by the worker before the completion is recorded, so a document is never
/// marked indexed before its sink confirmed the write; every write goes
/// through the sink's `DeliveryGate`.
public protocol Sink: Sendable {
    /// How the sink is named in messages and `status`, never with a secret.
    var description: String { get }
    /// Part of the settings fingerprint: documents written under another
    /// identity are written again (switching sinks re-sends everything).
    /// Empty for the embedded index.
    var identity: String { get }
    /// The delivery controls of a remote sink; nil for the embedded index,
    /// which the completion transaction writes.
    var deliveryGate: DeliveryGate? { get }
    /// What the worker must hand over for an upsert.
    var needs: SinkInput { get }
    /// Applies the operations; returns only when the destination confirmed
    /// them. Throws `DeliveryError` (classified) or `SluiceError`.
    func write(_ operations: [SinkOperation]) async throws
    /// Removes every point of a tenant (a purge). The embedded index does
    /// nothing here: the store's purge removes its chunks.
    func removeTenant(_ tenant: TenantID) async throws
    /// The read side, for `search` and `verify`; nil for a write-only sink.
    var reader: (any SinkReader)? { get }
}

extension Sink {
    public var isRemote: Bool { deliveryGate != nil }
}

/// What a sink consumes.
public enum SinkInput: Sendable, Equatable {
    /// Chunks with their vectors.
    case vectors
    /// The document's content and meta (another Sluice chunks and embeds it).
    case content
}

/// One change for a sink.
public enum SinkOperation: Sendable, Equatable {
    case upsert(SinkDocument)
    /// The document is gone (or no longer indexed): remove all its points.
    case remove(DocumentKey, revision: Int64)

    public var key: DocumentKey {
        switch self {
        case .upsert(let document): document.key
        case .remove(let key, _): key
        }
    }
}

/// A document as a sink receives it.
public struct SinkDocument: Sendable, Equatable {
    public var key: DocumentKey
    public var revision: Int64
    public var contentHash: ContentHash
    public var title: String?
    public var attributes: [String: String]
    /// With `SinkInput.vectors`: every chunk, each with its vector.
    public var chunks: [IndexedChunk]
    /// Ordinals the sink may still hold from an earlier, longer version:
    /// from the new chunk count up to the old one. Removed by id.
    public var staleOrdinals: Range<Int>
    /// With `SinkInput.content`: the document's text and meta (its type, title, attributes).
    public var content: String?
    public var meta: DocumentMeta?

    public init(
        key: DocumentKey, revision: Int64, contentHash: ContentHash, title: String?, attributes: [String: String],
        chunks: [IndexedChunk], staleOrdinals: Range<Int>, content: String? = nil, meta: DocumentMeta? = nil
    ) {
        self.key = key
        self.revision = revision
        self.contentHash = contentHash
        self.title = title
        self.attributes = attributes
        self.chunks = chunks
        self.staleOrdinals = staleOrdinals
        self.content = content
        self.meta = meta
    }
}

/// One point as a readable sink holds it, for `verify`.
public struct SinkPoint: Sendable, Equatable {
    public var id: String
    public var key: DocumentKey?
    public var ordinal: Int?
    /// The content hash the point was written from.
    public var contentHash: String?

    public init(id: String, key: DocumentKey?, ordinal: Int?, contentHash: String?) {
        self.id = id
        self.key = key
        self.ordinal = ordinal
        self.contentHash = contentHash
    }
}

/// The read side of a sink.
public protocol SinkReader: Sendable {
    /// Top `k` chunks of `tenant` by similarity to `vector`, optionally only
    /// those of documents with these attributes.
    func search(tenant: TenantID, vector: [Float], k: Int, attributes: [String: String]) async throws -> [SearchHit]
    /// Calls `body` with pages of the points the sink holds for `tenant` (all tenants when nil).
    func points(tenant: TenantID?, _ body: ([SinkPoint]) async throws -> Void) async throws
}
