import Foundation
import Logging
import Prometheus
import SluiceConnectors
import SluiceCore
import SluicePostgres
import SluiceSQLite
import Synchronization

/// The composition root: turns a `Configuration` into the store, embedder,
/// chunker and extractors that every command and test uses.
public final class SluiceRuntime: Sendable {
    public let configuration: Configuration
    /// The storage backend, which every other part sees only through its roles' seams.
    public let store: any SluiceStore
    public let embedder: any Embedder
    /// Where indexed documents go.
    public let sink: any Sink
    public let chunker: any Chunker
    public let extractors: ExtractorRegistry
    /// What each worker of this process is extracting, for the next process to blame if this one dies;
    /// opened by the first worker process that asks, so read-only commands never touch it.
    private let inflightRecord = Mutex<InflightRecord?>(nil)
    public let clock: any SluiceClock
    public let logger: Logger
    /// This runtime's metrics and the registry `/metrics` renders (one per runtime, never global).
    public let metrics: SluiceMetrics
    public let metricsRegistry: PrometheusCollectorRegistry
    /// The error rate, recent history and alerts (`checkHealth`).
    public let health: HealthMonitor
    /// Whether the store answers, as the workers find it (a shared store can be down a while).
    public let storeOutage: StoreOutage

    /// Opens the SQLite store in the configured data directory, creating it
    /// if needed. A PostgreSQL store (`--store`) is opened with `open`, which
    /// must wait for the server.
    public convenience init(
        configuration: Configuration, clock: any SluiceClock = SystemClock(), embedder: (any Embedder)? = nil,
        extractors: ExtractorRegistry? = nil, logger: Logger = Logger(label: "sluice")
    ) throws {
        try configuration.validate()
        guard case .sqlite = try configuration.storeTarget else {
            throw SluiceError(.configuration, "a PostgreSQL store is opened with SluiceRuntime.open, which waits for the server")
        }
        try DataDirectory.prepare(configuration.absoluteDataDirectory)
        try self.init(
            configuration: configuration, store: SluiceRuntime.openStore(configuration, clock: clock), clock: clock, embedder: embedder,
            extractors: extractors, logger: logger)
    }

    /// Opens the configured store, SQLite or PostgreSQL (connecting, and
    /// migrating its schema under a lock so processes starting together do
    /// not race), and composes the rest around it.
    ///
    /// With `sinkRequired` false (a command that reads or changes only the
    /// store), a PostgreSQL store opens without a remote sink; anything that
    /// would write or read vectors then fails saying which sink to configure.
    public static func open(
        configuration: Configuration, clock: any SluiceClock = SystemClock(), embedder: (any Embedder)? = nil,
        extractors: ExtractorRegistry? = nil, logger: Logger = Logger(label: "sluice"), sinkRequired: Bool = true
    ) async throws -> SluiceRuntime {
        try configuration.validate(sinkRequired: sinkRequired)
        guard case .postgres(let location) = try configuration.storeTarget else {
            return try SluiceRuntime(configuration: configuration, clock: clock, embedder: embedder, extractors: extractors, logger: logger)
        }
        try DataDirectory.prepare(configuration.absoluteDataDirectory)
        let options = PostgresStore.Options(
            settle: configuration.settlePolicy,
            retry: RetryPolicy(maxAttempts: configuration.maxRetries, baseDelay: configuration.retryDelay),
            maximumConnections: max(4, configuration.concurrency + 3), listens: true,
            // Stable across restarts of this process, distinct from every other: a restart frees what its predecessor held.
            owner: ProcessInfo.processInfo.hostName + ":" + configuration.absoluteDataDirectory)
        // Times are the database's unless a test drives the clock.
        let store = try await PostgresStore.open(location, clock: clock is SystemClock ? nil : clock, options: options, logger: logger)
        return try SluiceRuntime(configuration: configuration, store: store, clock: clock, embedder: embedder, extractors: extractors, logger: logger)
    }

    /// Creates the configured store's schema or brings it up to date, and
    /// says where it stands (`sluice migrate`).
    public static func migrate(_ configuration: Configuration) async throws -> String {
        switch try configuration.storeTarget {
        case .sqlite(let path):
            try DataDirectory.prepare(configuration.absoluteDataDirectory)
            _ = try SQLiteStore(path: path)
            return "The SQLite store \(path) is up to date."
        case .postgres(let location):
            let store = try await PostgresStore.open(location, options: PostgresStore.Options(maximumConnections: 1))
            let version = try await store.schemaVersion()
            await store.close()
            return "The PostgreSQL store \(location) is at schema version \(version), this Sluice's newest."
        }
    }

    private init(
        configuration: Configuration, store: any SluiceStore, clock: any SluiceClock, embedder: (any Embedder)?,
        extractors: ExtractorRegistry?, logger: Logger
    ) throws {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        let registry = PrometheusCollectorRegistry()
        self.metricsRegistry = registry
        self.health = HealthMonitor(thresholds: configuration.alertThresholds)
        self.storeOutage = StoreOutage(logger: logger, clock: clock)
        self.metrics = configuration.metricsEnabled ? SluiceMetrics(factory: SluiceRuntime.metricsFactory(registry), tenantSeries: configuration.metricsTenantSeries) : .disabled
        let metrics = self.metrics
        self.store = store
        self.embedder = try embedder ?? SluiceRuntime.makeEmbedder(configuration, clock: clock, logger: logger, metrics: metrics)
        self.sink = try SluiceRuntime.makeSink(configuration, store: store, embedder: self.embedder, clock: clock, logger: logger, metrics: metrics)
        metrics.declare(destinations: [self.embedder.deliveryGate, sink.deliveryGate].compactMap { $0?.name }, version: SluiceVersion.current)
        self.chunker = MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap)
        self.extractors = extractors ?? .standard(limits: configuration.extractionLimits)
    }

    /// The SQLite store in the data directory, with the queue's settle and retry policies.
    static func openStore(_ configuration: Configuration, clock: any SluiceClock) throws -> SQLiteStore {
        try SQLiteStore(
            path: configuration.storePath, clock: clock,
            options: SQLiteStore.Options(
                settle: configuration.settlePolicy,
                retry: RetryPolicy(maxAttempts: configuration.maxRetries, baseDelay: configuration.retryDelay),
                durability: configuration.durability, searchMemory: configuration.searchMemoryBytes))
    }

    /// Opens the store at `path` for reading what another process writes
    /// (the benchmarks' probes), with default policies.
    public static func openStore(path: String) throws -> any SluiceStore {
        try SQLiteStore(path: path)
    }

    /// This data directory's record of what the workers are extracting (`InflightRecord`).
    func inflight() throws -> InflightRecord {
        try inflightRecord.withLock { record in
            if let record { return record }
            let opened = try InflightRecord(dataDirectory: configuration.absoluteDataDirectory)
            record = opened
            return opened
        }
    }

    /// Identifies the embedder, chunker and sink settings; documents indexed
    /// under another fingerprint are re-indexed (and written to the new sink)
    /// rather than mixed.
    public var settingsFingerprint: String {
        let base = "\(embedder.modelKey)|\(chunker.fingerprint)"
        return sink.identity.isEmpty ? base : base + "|" + sink.identity
    }

    /// Embeds a search query with the configured embedder and searches one
    /// tenant in the sink, optionally only documents with these `meta.attributes`.
    public func search(tenant: TenantID, query: String, k: Int, attributes: [String: String] = [:]) async throws -> [SearchHit] {
        guard let reader = sink.reader else {
            throw SluiceError(.configuration, "\(sink.description) is write-only: Sluice cannot search it; search where it delivers")
        }
        guard let vector = try await embedder.embed([query]).first else { return [] }
        return try await reader.search(tenant: tenant, vector: vector, k: k, attributes: attributes)
    }
}
