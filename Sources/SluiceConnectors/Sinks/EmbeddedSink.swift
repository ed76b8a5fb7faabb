import SluiceCore

/// The embedded index as a sink: the state store's own chunks and vectors.
/// `write` has nothing to do, because the backend's `complete` writes the
/// chunks in the same transaction that records the document indexed.
public struct EmbeddedSink: Sink, SinkReader {
    public let store: any VectorIndex & DocumentStateStore
    /// The embedder's model key; search looks only at vectors of this model.
    public let modelKey: String

    public init(store: any VectorIndex & DocumentStateStore, modelKey: String) {
        self.store = store
        self.modelKey = modelKey
    }

    public var description: String { "the embedded index" }
    public var identity: String { "" }
    public var deliveryGate: DeliveryGate? { nil }
    public var needs: SinkInput { .vectors }
    public var reader: (any SinkReader)? { self }

    public func write(_ operations: [SinkOperation]) async throws {}

    public func removeTenant(_ tenant: TenantID) async throws {}

    public func search(tenant: TenantID, vector: [Float], k: Int, attributes: [String: String]) async throws -> [SearchHit] {
        try await store.search(tenant: tenant, vector: vector, modelKey: modelKey, k: k, attributes: attributes)
    }

    public func points(tenant: TenantID?, _ body: ([SinkPoint]) async throws -> Void) async throws {
        var pages: [[SinkPoint]] = []
        try await store.exportChunks(tenant: tenant, batchSize: 5_000) { chunks in
            pages.append(chunks.map { chunk in
                SinkPoint(
                    id: chunk.chunkId,
                    key: DocumentKey(tenant: TenantID(storedRawValue: chunk.tenant), docId: DocumentID(storedRawValue: chunk.docId)),
                    ordinal: chunk.ordinal, contentHash: chunk.contentHash)
            })
        }
        for page in pages { try await body(page) }
    }
}
