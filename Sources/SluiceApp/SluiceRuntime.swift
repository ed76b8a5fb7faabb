import Foundation
import Logging
import Prometheus
import SluiceConnectors
import SluiceCore
import SluiceHTTP
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
    public static func open(
        configuration: Configuration, clock: any SluiceClock = SystemClock(), embedder: (any Embedder)? = nil,
        extractors: ExtractorRegistry? = nil, logger: Logger = Logger(label: "sluice")
    ) async throws -> SluiceRuntime {
        try configuration.validate()
        guard case .postgres(let location) = try configuration.storeTarget else {
            return try SluiceRuntime(configuration: configuration, clock: clock, embedder: embedder, extractors: extractors, logger: logger)
        }
        try DataDirectory.prepare(configuration.absoluteDataDirectory)
        let options = PostgresStore.Options(
            settle: SettlePolicy(window: configuration.settleWindow, maximum: configuration.settleMaximum),
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
        self.metrics = configuration.metricsEnabled ? SluiceMetrics(factory: SluiceRuntime.metricsFactory(registry)) : .disabled
        let metrics = self.metrics
        self.store = store
        self.embedder = try embedder ?? SluiceRuntime.makeEmbedder(configuration, clock: clock, logger: logger, metrics: metrics)
        self.sink = try SluiceRuntime.makeSink(configuration, store: store, embedder: self.embedder, clock: clock, logger: logger, metrics: metrics)
        metrics.declare(destinations: [self.embedder.deliveryGate, sink.deliveryGate].compactMap { $0?.destination })
        self.chunker = MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap)
        self.extractors = extractors ?? .standard(limits: configuration.extractionLimits)
    }

    /// The SQLite store in the data directory, with the queue's settle and retry policies.
    static func openStore(_ configuration: Configuration, clock: any SluiceClock) throws -> SQLiteStore {
        try SQLiteStore(
            path: configuration.storePath, clock: clock,
            options: SQLiteStore.Options(
                settle: SettlePolicy(window: configuration.settleWindow, maximum: configuration.settleMaximum),
                retry: RetryPolicy(maxAttempts: configuration.maxRetries, baseDelay: configuration.retryDelay),
                durability: configuration.durability))
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

    /// The configured embedder; a remote one gets the delivery controls of its destination.
    static func makeEmbedder(_ configuration: Configuration, clock: any SluiceClock, logger: Logger, metrics: SluiceMetrics) throws -> any Embedder {
        switch try configuration.embedderTarget {
        case .hashing(let dimension):
            return HashingEmbedder(dimension: dimension)
        case .openai(let url, let model, let apiKey, let dimension):
            let gate = gate("the embedder at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics)
            return try OpenAIEmbedder(
                baseURL: url, model: model, dimension: dimension, apiKey: apiKey, gate: gate, timeout: configuration.remoteTimeout)
        }
    }

    /// A Prometheus factory over `registry`, with histogram buckets fit for Sluice's durations.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(300),
        ]
        return factory
    }

    /// Samples what is not counted as it happens (queue depth, per-tenant
    /// backlog, the delivery gates, memory) and renders the Prometheus text format.
    public func metricsExposition() async throws -> [UInt8] {
        metrics.queueDepth(try await store.depth())
        for tenant in try await store.tenantSummaries() {
            metrics.tenantBacklog(tenant: tenant.tenant, pending: tenant.pending, failed: tenant.failed)
        }
        for destination in destinations {
            let circuit = switch destination.circuit {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
            metrics.gate(destination: destination.destination, circuit: circuit, concurrencyLimit: destination.concurrencyLimit)
        }
        metrics.scanProblems(try await store.problems(tenant: nil).count)
        metrics.residentMemory(bytes: ProcessMemory.residentBytes())
        let health = self.health.report(at: clock.now())
        metrics.alerts(health.alerts, errorRate: health.errorRate)
        return metricsRegistry.emitToBuffer()
    }

    /// The remote destinations' delivery controls (none with the built-in embedder and index).
    public var destinations: [DestinationStatus] {
        [embedder.deliveryGate, sink.deliveryGate].compactMap { $0.map(DestinationStatus.init) }
    }

    /// Samples the queue and the destinations, checks the alert thresholds,
    /// logs each alert when it is raised and when it clears (once, not on
    /// every check), and updates the alert gauges. The live session calls it
    /// every few seconds.
    @discardableResult
    public func checkHealth() async throws -> [HealthMonitor.Change] {
        let now = clock.now()
        let changes = health.evaluate(depth: try await store.depth(), destinations: destinations, at: now)
        for change in changes {
            switch change {
            case .raised(let alert):
                logger.warning("alert \(alert.name) raised: \(alert.message)", metadata: Self.metadata(alert))
            case .cleared(let alert, let at):
                var metadata = Self.metadata(alert)
                metadata["lastedSeconds"] = "\(Int((at - alert.since).seconds))"
                logger.notice("alert \(alert.name) cleared\(alert.subject.map { " for \($0)" } ?? "")", metadata: metadata)
            }
        }
        let report = health.report(at: now)
        metrics.alerts(report.alerts, errorRate: report.errorRate)
        return changes
    }

    private static func metadata(_ alert: Alert) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "alert": "\(alert.name)", "value": "\(alert.value)", "threshold": "\(alert.threshold)", "since": "\(alert.since)",
        ]
        if let subject = alert.subject { metadata["destination"] = "\(subject)" }
        return metadata
    }

    /// The delivery controls of one remote destination, logging when its breaker opens and closes.
    static func gate(
        _ destination: String, _ configuration: Configuration, clock: any SluiceClock, logger: Logger, metrics: SluiceMetrics
    ) -> DeliveryGate {
        DeliveryGate(destination: destination, settings: configuration.remoteGateSettings, clock: clock) { event in
            switch event {
            case .request(let status):
                metrics.remoteRequest(destination: destination, status: status)
            case .opened(let until, let reopened):
                logger.warning(
                    "\(destination) \(reopened ? "still fails" : "failed repeatedly"): circuit open, nothing is sent until the next probe; work stays queued",
                    metadata: ["destination": "\(destination)", "probeAt": "\(until)"])
            case .closed:
                logger.notice("\(destination) answers again: circuit closed", metadata: ["destination": "\(destination)"])
            }
        }
    }

    /// The configured sink; a remote one gets the delivery controls of its destination.
    static func makeSink(
        _ configuration: Configuration, store: any SluiceStore, embedder: any Embedder, clock: any SluiceClock, logger: Logger,
        metrics: SluiceMetrics
    ) throws -> any Sink {
        switch try configuration.sinkTarget {
        case .embedded:
            guard let index = store as? any VectorIndex & DocumentStateStore else {
                throw SluiceError(.configuration, "this store keeps no vectors; choose a remote sink (--sink qdrant, webhook or sluice)")
            }
            return EmbeddedSink(store: index, modelKey: embedder.modelKey)
        case .qdrant(let url, let collection, let apiKey):
            return try QdrantSink(
                url: url, collection: collection, dimension: embedder.dimension, apiKey: apiKey,
                pointsPerRequest: configuration.sinkBatchPoints,
                gate: gate("qdrant at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
        case .webhook(let url, let secret):
            return try WebhookSink(
                url: url, secret: secret, chunksPerRequest: configuration.sinkBatchPoints,
                gate: gate("the webhook at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
        case .sluice(let url, let key):
            return try ForwardSink(
                url: url, key: key,
                gate: gate("the Sluice at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
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

extension SluiceRuntime {
    /// Removes a tenant: its points from the sink first (so a failure leaves
    /// the store's record, and a retry, intact), then its documents, chunks,
    /// queue rows and file state from the store. Returns the documents removed.
    public func purge(tenant: TenantID) async throws -> Int {
        try await sink.removeTenant(tenant)
        return try await store.purge(tenant: tenant)
    }

    /// What publishing `publication` would do: new, changed, unchanged or
    /// deleted, with its chunk count and extraction warnings. Writes nothing.
    public func preview(_ publication: Publication) async throws -> Preview {
        let state = try await store.documentState(publication.key)
        let exists = state.map { $0.status != .deleted } ?? false
        guard let content = publication.content, let hash = publication.contentHash else {
            return Preview(change: exists ? "deleted" : "unchanged", chunks: 0, warnings: exists ? [] : ["there is no such document to delete"], contentHash: nil)
        }
        let change: String
        if let state, state.status == .indexed, state.contentHash == hash.hex {
            change = "unchanged"
        } else {
            change = exists ? "changed" : "new"
        }
        let extractor = publication.meta.mimeType.flatMap(extractors.extractor(forMimeType:))
            ?? extractors.extractor(forPath: publication.key.docId.rawValue) ?? PlainTextExtractor()
        var warnings: [String] = []
        if let mime = publication.meta.mimeType, extractors.extractor(forMimeType: mime) == nil {
            warnings.append("mimeType \(mime) is not one Sluice extracts; the content is read as \(extractor.mimeType)")
        }
        let chunker = self.chunker
        let chunks: Int
        do {
            let extracted = try await BlockingIO.run { try extractor.extract(content) }
            warnings += extracted.warnings
            chunks = chunker.chunk(extracted.text).count
        } catch let error as SluiceError where error.code == .extraction {
            warnings.append("it would be skipped: \(error.message)")
            chunks = 0
        }
        return Preview(change: change, chunks: chunks, warnings: warnings, contentHash: hash.hex)
    }
}
