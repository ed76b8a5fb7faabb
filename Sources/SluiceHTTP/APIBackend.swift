import Foundation
import SluiceCore

/// What the HTTP API needs from the rest of Sluice, built by the composition root.
public struct APIBackend: Sendable {
    public var publisher: any DocumentPublisher
    public var documents: any DocumentStateStore
    public var reports: any ReportingStore
    public var keys: any APIKeyStore
    public var queue: any JobQueue & DeadLetterAdministration
    public var access: AccessPolicy
    /// Where the per-key rate limits are kept: the store's when many processes
    /// share it (PostgreSQL), else this process's memory (nil).
    public var rateLimits: (any RateLimits)?
    /// Embeds a query and searches one tenant (query, k, attribute filter).
    public var search: @Sendable (TenantID, String, Int, [String: String]) async throws -> [SearchHit]
    /// What publishing would do, without writing anything.
    public var preview: @Sendable (Publication) async throws -> Preview
    /// Removes a tenant from the sink and the store; returns the documents removed.
    public var purge: @Sendable (TenantID) async throws -> Int
    /// What scans found wrong: one tenant's, or everyone's and the root's (nil).
    public var scanProblems: @Sendable (TenantID?) async throws -> [ScanProblem]
    /// The metrics in Prometheus text format (`GET /metrics`); nil when not collected.
    public var metricsExposition: (@Sendable () async throws -> [UInt8])?
    /// Alerts, error rate, destinations and recent history for `/v1/stats`; nil when nothing watches them.
    public var health: (@Sendable () -> HealthReport)?
    /// Where the API counts what it refuses (rate limits).
    public var metrics: SluiceMetrics
    /// Whether the store answers and the server is not shutting down.
    public var isReady: @Sendable () async -> Bool
    /// SLUICE_MAX_INFLIGHT_BYTES, shared with extraction: a body that does not fit gets 503.
    public var budget: ByteBudget
    /// Counts requests being accepted, so indexing gives way during a burst.
    public var intake: IntakePressure
    public var limits: Limits

    public struct Limits: Sendable {
        /// SLUICE_MAX_BATCH_DOCUMENTS.
        public var maxBatchDocuments: Int
        /// SLUICE_MAX_REQUEST_BYTES.
        public var maxRequestBytes: Int
        /// SLUICE_MAX_FILE_BYTES, for a document's content.
        public var maxContentBytes: Int
        /// SLUICE_API_MAX_UPLOADS_PER_KEY: bodies being received at once for one key (429 past it).
        public var maxUploadsPerKey: Int
        /// SLUICE_API_MAX_WAITERS_PER_KEY: publishes of one key waiting with `?wait` at once (429 past it).
        public var maxWaitersPerKey: Int

        public init(
            maxBatchDocuments: Int = 500, maxRequestBytes: Int = 64 << 20, maxContentBytes: Int = 50 << 20,
            maxUploadsPerKey: Int = 128, maxWaitersPerKey: Int = 1024
        ) {
            self.maxBatchDocuments = maxBatchDocuments
            self.maxRequestBytes = maxRequestBytes
            self.maxContentBytes = maxContentBytes
            self.maxUploadsPerKey = maxUploadsPerKey
            self.maxWaitersPerKey = maxWaitersPerKey
        }
    }

    public init(
        publisher: any DocumentPublisher, documents: any DocumentStateStore, reports: any ReportingStore,
        keys: any APIKeyStore, queue: any JobQueue & DeadLetterAdministration, access: AccessPolicy,
        search: @escaping @Sendable (TenantID, String, Int, [String: String]) async throws -> [SearchHit],
        preview: @escaping @Sendable (Publication) async throws -> Preview,
        purge: @escaping @Sendable (TenantID) async throws -> Int,
        scanProblems: @escaping @Sendable (TenantID?) async throws -> [ScanProblem] = { _ in [] },
        metricsExposition: (@Sendable () async throws -> [UInt8])? = nil, metrics: SluiceMetrics = .disabled,
        health: (@Sendable () -> HealthReport)? = nil,
        budget: ByteBudget, intake: IntakePressure = IntakePressure(),
        isReady: @escaping @Sendable () async -> Bool, limits: Limits
    ) {
        self.budget = budget
        self.intake = intake
        self.publisher = publisher
        self.documents = documents
        self.reports = reports
        self.keys = keys
        self.queue = queue
        self.access = access
        self.search = search
        self.preview = preview
        self.purge = purge
        self.scanProblems = scanProblems
        self.metricsExposition = metricsExposition
        self.metrics = metrics
        self.health = health
        self.isReady = isReady
        self.limits = limits
    }
}

/// Who may call, and how often.
public struct AccessPolicy: Sendable {
    /// Requests per minute per key (SLUICE_API_RATE_LIMIT_PER_MINUTE).
    public var ratePerMinute: Int
    /// Client addresses never rate limited (SLUICE_API_RATE_LIMIT_EXEMPT).
    public var exempt: [CIDRBlock]
    /// Peers whose X-Forwarded-For is believed (SLUICE_TRUSTED_PROXIES).
    public var trustedProxies: [CIDRBlock]

    public init(ratePerMinute: Int = 10_000, exempt: [CIDRBlock] = CIDRBlock.loopback, trustedProxies: [CIDRBlock] = []) {
        self.ratePerMinute = ratePerMinute
        self.exempt = exempt
        self.trustedProxies = trustedProxies
    }

    /// The client's address: the socket's peer, or, when the peer is a trusted
    /// proxy, the rightmost X-Forwarded-For entry that is not a trusted proxy.
    public func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer else { return nil }
        guard let forwardedFor, trustedProxies.contains(where: { $0.contains(peer) }) else { return peer }
        let chain = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for address in chain.reversed() where !trustedProxies.contains(where: { $0.contains(address) }) {
            return address
        }
        return chain.first ?? peer
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
