import SluiceCore

/// What the HTTP API needs from the rest of Sluice, built by the composition root.
public struct APIBackend: Sendable {
    public var publisher: any DocumentPublisher
    public var index: any IndexStore
    /// Embeds a query and searches one tenant.
    public var search: @Sendable (TenantID, String, Int) async throws -> [SearchHit]
    /// What publishing would do, without writing anything.
    public var preview: @Sendable (Publication) async throws -> Preview
    /// Called after documents were enqueued (wakes idle workers).
    public var didEnqueue: @Sendable () -> Void
    /// Whether the store answers and the server is not shutting down.
    public var isReady: @Sendable () async -> Bool
    public var limits: Limits

    public struct Limits: Sendable {
        /// SLUICE_MAX_BATCH_DOCUMENTS.
        public var maxBatchDocuments: Int
        /// SLUICE_MAX_REQUEST_BYTES.
        public var maxRequestBytes: Int
        /// SLUICE_MAX_FILE_BYTES, for a document's content.
        public var maxContentBytes: Int

        public init(maxBatchDocuments: Int = 500, maxRequestBytes: Int = 64 << 20, maxContentBytes: Int = 50 << 20) {
            self.maxBatchDocuments = maxBatchDocuments
            self.maxRequestBytes = maxRequestBytes
            self.maxContentBytes = maxContentBytes
        }
    }

    public init(
        publisher: any DocumentPublisher, index: any IndexStore,
        search: @escaping @Sendable (TenantID, String, Int) async throws -> [SearchHit],
        preview: @escaping @Sendable (Publication) async throws -> Preview,
        didEnqueue: @escaping @Sendable () -> Void, isReady: @escaping @Sendable () async -> Bool, limits: Limits
    ) {
        self.publisher = publisher
        self.index = index
        self.search = search
        self.preview = preview
        self.didEnqueue = didEnqueue
        self.isReady = isReady
        self.limits = limits
    }
}

/// The answer of `POST /v1/ingest/preview`.
public struct Preview: Sendable, Codable, Equatable {
    /// new, changed, unchanged or deleted.
    public var change: String
    public var chunks: Int
    public var warnings: [String]
    public var contentHash: String?

    public init(change: String, chunks: Int, warnings: [String], contentHash: String?) {
        self.change = change
        self.chunks = chunks
        self.warnings = warnings
        self.contentHash = contentHash
    }
}
