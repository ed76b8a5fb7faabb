import Foundation
import Logging
import SluiceConnectors
import SluiceCore
import SluiceWatch

/// Every setting's value. Each is declared once in `Setting.all` (variable,
/// flag, range, help); its default is the initial value here. `resolve` reads
/// them from a configuration file, the SLUICE_* variables and flags, in that
/// order of precedence from lowest.
public struct Configuration: Sendable, Equatable {
    /// Where the store lives (`--data-dir`, SLUICE_DATA_DIR).
    public var dataDirectory: String = ".sluice"
    /// How log lines are written (`--log-format`, SLUICE_LOG_FORMAT).
    public var logFormat: LogFormat = .text

    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        /// One JSON object per line.
        case json
    }
    /// The least severe log lines written (`--log-level`, SLUICE_LOG_LEVEL; `--verbose` is `debug`).
    public var logLevel: Logger.Level = .notice
    /// Where `serve` (and `run --watch`) answer HTTP, HOST:PORT (`--listen`, SLUICE_LISTEN;
    /// unset: `serve` listens on 127.0.0.1:8080 and `run --watch` not at all).
    public var listen: LiveSession.Listen?
    /// Documents per lease (SLUICE_BATCH_SIZE).
    public var batchSize: Int = 50
    /// Workers (SLUICE_CONCURRENCY).
    public var concurrency: Int = 4
    /// Failed attempts before a dead letter (SLUICE_MAX_RETRIES).
    public var maxRetries: Int = 5
    /// Base of the exponential, jittered backoff (SLUICE_RETRY_DELAY_MS).
    public var retryDelay: Duration = .milliseconds(2000)
    /// Quiet time after a change before it is processed (SLUICE_SETTLE_MS).
    public var settleWindow: Duration = .milliseconds(20)
    /// Longest wait after a document's first pending change (SLUICE_SETTLE_MAX_MS).
    public var settleMaximum: Duration = .milliseconds(2000)

    /// The settle windows these two make (`SettlePolicy`).
    public var settlePolicy: SettlePolicy { SettlePolicy(window: settleWindow, maximum: settleMaximum) }
    /// Chunks per embedding call (SLUICE_EMBED_BATCH_SIZE).
    public var embedBatchSize: Int = 256
    /// Lease length, renewed by heartbeat (SLUICE_LEASE_SECONDS).
    public var leaseDuration: Duration = .seconds(60)
    /// With a shared store, how long a process's claim to watch a folder lasts unrenewed (a standby takes over after it).
    public var watchClaimDuration: Duration = .seconds(15)
    /// File bytes held in memory at once (SLUICE_MAX_INFLIGHT_BYTES).
    public var maxInflightBytes: Int = 256 << 20
    /// Larger files are skipped with a reason (SLUICE_MAX_FILE_BYTES).
    public var maxFileBytes: Int = 256 << 20
    /// The most chunks one tenant's documents may hold (SLUICE_TENANT_MAX_CHUNKS); nil: no limit.
    public var tenantMaxChunks: Int?
    /// The most folders of one tenant watched with inotify (SLUICE_TENANT_MAX_WATCHED_FOLDERS); nil: no limit but the kernel's.
    public var tenantMaxWatchedFolders: Int? = 10_000
    /// How long a request body may take to arrive after its head (the connection is closed past it).
    public var apiBodyTimeout: Duration = .seconds(30)
    /// How long a connection may stay open with no request in progress.
    public var apiIdleTimeout: Duration = .seconds(60)
    /// Request bodies one API key may be sending at once.
    public var apiMaxUploadsPerKey = 128
    /// Publishes of one API key that may wait with `?wait` at once.
    public var apiMaxWaitersPerKey = 1024
    /// How long reading one document's text and chunking it may take; past it
    /// the document is a dead letter with the reason, and the worker goes on.
    public var extractTimeout: Duration = .seconds(60)
    /// Memory for the embedded index's in-memory search vectors (`SQLiteStore.Options.searchMemory`).
    public var searchMemoryBytes = 1 << 30
    /// Memory of a converter child process such as pdftotext (SLUICE_EXTRACT_MEMORY_MB).
    public var extractMemoryBytes = 512 << 20
    /// Text extracted from one document (SLUICE_MAX_TEXT_BYTES).
    public var maxTextBytes = 64 << 20
    /// Bytes inflated from one ZIP-based document such as .docx (SLUICE_MAX_INFLATED_BYTES).
    public var maxInflatedBytes = 256 << 20

    /// What the extractors are held to.
    public var extractionLimits: ExtractionLimits {
        var limits = ExtractionLimits()
        limits.timeout = extractTimeout
        limits.converterMemoryBytes = extractMemoryBytes
        limits.maxTextBytes = maxTextBytes
        limits.maxInflatedBytes = maxInflatedBytes
        return limits
    }
    /// Built-in embedder's dimension (SLUICE_EMBED_DIMENSION).
    public var embeddingDimension: Int = 384
    /// Target chunk size in characters (SLUICE_CHUNK_SIZE).
    public var chunkSize: Int = 1000
    /// Characters shared by consecutive chunks (SLUICE_CHUNK_OVERLAP).
    public var chunkOverlap: Int = 100
    /// SQLite `synchronous` setting (SLUICE_DURABILITY: full or normal).
    public var durability: Durability = .full
    /// How often a live session (`run --watch`, `serve`) removes the vectors no
    /// chunk uses any more; `sluice run` does it once at the end.
    public var vectorCollectionInterval: Duration = .seconds(600)
    /// Periodic safety rescan while watching (SLUICE_RESCAN_INTERVAL, seconds; 0 disables).
    public var rescanInterval: Duration? = .seconds(600)
    /// How often, at most, the tenants with folders left unwatched are rescanned (SLUICE_UNWATCHED_RESCAN_SECONDS).
    public var unwatchedRescanInterval: Duration = .seconds(60)
    /// Documents per batch request (SLUICE_MAX_BATCH_DOCUMENTS).
    public var maxBatchDocuments: Int = 500
    /// Largest HTTP request body (SLUICE_MAX_REQUEST_BYTES).
    public var maxRequestBytes: Int = 64 << 20
    /// API requests per minute per key, each document of a batch counted as one (SLUICE_API_RATE_LIMIT_PER_MINUTE).
    public var apiRateLimitPerMinute: Int = 10_000
    /// Client addresses exempt from the API rate limit (SLUICE_API_RATE_LIMIT_EXEMPT, CIDRs).
    public var apiRateLimitExempt: [CIDRBlock] = CIDRBlock.loopback
    /// Proxies whose X-Forwarded-For is believed (SLUICE_TRUSTED_PROXIES, CIDRs).
    public var trustedProxies: [CIDRBlock] = []
    /// `--include` patterns.
    public var include: [String] = []
    /// Which embedder: the built-in hashing one, or an OpenAI-compatible service (SLUICE_EMBEDDER).
    public var embedder: EmbedderKind = .hashing
    /// The service's API root, e.g. http://127.0.0.1:11434/v1 (SLUICE_EMBEDDER_URL).
    public var embedderURL: String?
    /// The model the service should use (SLUICE_EMBEDDER_MODEL).
    public var embedderModel: String?
    /// Sent as a Bearer token; from SLUICE_EMBEDDER_API_KEY only, never printed.
    public var embedderAPIKey: String?
    /// Requests per minute to each remote destination; nil for no cap (SLUICE_SINK_MAX_REQUESTS_PER_MINUTE).
    public var remoteMaxRequestsPerMinute: Int?
    /// Upper bound of each remote destination's adaptive concurrency (SLUICE_SINK_MAX_CONCURRENCY).
    public var remoteMaxConcurrency: Int = 16
    /// How long one remote request may take before it counts as a timeout (SLUICE_SINK_TIMEOUT_MS).
    public var remoteTimeout: Duration = .seconds(30)

    public enum EmbedderKind: String, Sendable, CaseIterable {
        case hashing
        case openai
    }

    /// Whether metrics are collected (SLUICE_METRICS: on or off); off only to measure what they cost.
    public var metricsEnabled = true
    /// Tenants with backlog series of their own in /metrics; the rest are summed as `(other)` (SLUICE_METRICS_TENANT_SERIES).
    public var metricsTenantSeries: Int = 20
    /// When alerts are raised (SLUICE_ALERT_QUEUE_DEPTH, SLUICE_ALERT_ERROR_RATE).
    public var alertThresholds = AlertThresholds()
    /// Where the queue and document state live (`--store`, SLUICE_STORE_URL): nil
    /// for the SQLite file in the data directory, or a postgres:// URL.
    public var storeURL: String?
    /// Where indexed documents go (`--sink`, SLUICE_SINK).
    public var sink: SinkKind = .embedded
    /// Qdrant's REST root, e.g. http://127.0.0.1:6333 (`--qdrant-url`, SLUICE_QDRANT_URL).
    public var qdrantURL: String?
    /// The collection holding every tenant's points (`--qdrant-collection`, SLUICE_QDRANT_COLLECTION).
    public var qdrantCollection: String = "sluice"
    /// How each point's payload is laid out: Sluice's own, or as LangChain and n8n read it (`--qdrant-payload`, SLUICE_QDRANT_PAYLOAD).
    public var qdrantPayload: PayloadLayout = .sluice
    /// Sent in the `api-key` header; from SLUICE_QDRANT_API_KEY only, never printed.
    public var qdrantAPIKey: String?
    /// Points (chunks with vectors) per request to Qdrant or a webhook (SLUICE_SINK_BATCH_POINTS).
    public var sinkBatchPoints: Int = 128

    /// Where webhook batches are POSTed (`--webhook-url`, SLUICE_WEBHOOK_URL).
    public var webhookURL: String?
    /// Signs each webhook body (HMAC-SHA256); from SLUICE_WEBHOOK_SECRET only, never printed.
    public var webhookSecret: String?
    /// Another Sluice's root, e.g. http://central:7700 (`--forward-url`, SLUICE_FORWARD_URL, or `--sink sluice+URL`).
    public var forwardURL: String?
    /// The other Sluice's API key; from SLUICE_FORWARD_KEY only, never printed.
    public var forwardKey: String?

    public enum SinkKind: String, Sendable, CaseIterable {
        case embedded
        case qdrant
        case webhook
        /// Another Sluice.
        case sluice
    }

    /// `--exclude` patterns.
    public var exclude: [String] = []

    public init() {}

    /// Defaults, then the configuration file (`configFile`, else
    /// SLUICE_CONFIG), then the SLUICE_* variables of `environment`, then
    /// `flags` (each a setting and the flag's text): each layer over the one before.
    public static func resolve(
        environment: [String: String], configFile: String? = nil, flags: [(Setting, String)] = []
    ) throws -> Configuration {
        var configuration = Configuration()
        if let path = configFile ?? environment["SLUICE_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            try ConfigurationFile.read(path).apply(to: &configuration)
        }
        try configuration.apply(environment: environment)
        for (setting, raw) in flags { try setting.apply(raw, to: &configuration, from: .flag) }
        return configuration
    }

    /// Applies every setting whose variable `environment` holds (an empty one is left out).
    public mutating func apply(environment: [String: String]) throws {
        for setting in Setting.all {
            guard let raw = environment[setting.variable], !raw.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            try setting.apply(raw, to: &self, from: .environment)
        }
    }

    /// Checks what one setting's parser cannot: the sink and embedder have
    /// what they need, chunks overlap less than their size, globs parse. A
    /// command that reads or changes only the store (`status`, `keys`, dead
    /// letters) needs no sink: `sinkRequired` false.
    public func validate(sinkRequired: Bool = true) throws {
        if sinkRequired, let missing = try missingSink { throw missing }
        _ = try embedderTarget
        if chunkOverlap >= chunkSize {
            throw SluiceError(.configuration, "chunk overlap (\(chunkOverlap)) must be smaller than the chunk size (\(chunkSize))")
        }
        for pattern in include + exclude {
            _ = try GlobPattern(pattern)
        }
    }

    /// Why the configured sink cannot hold the vectors: a PostgreSQL store
    /// has no embedded index. Nil when it can.
    var missingSink: SluiceError? {
        get throws {
            guard case .postgres = try storeTarget, case .embedded = try sinkTarget else { return nil }
            return SluiceError(
                .configuration,
                "the embedded index lives in the SQLite store, so with a PostgreSQL store (--store, SLUICE_STORE_URL) the vectors need a remote sink: --sink qdrant --qdrant-url URL, --sink webhook --webhook-url URL, or --sink sluice+http://host:port")
        }
    }

    public var absoluteDataDirectory: String {
        URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
    }

    public var storePath: String { absoluteDataDirectory + "/sluice.sqlite" }

    /// A URL as it may appear in logs, metrics, dead-letter reasons and
    /// status: `scheme://host:port` only. A user, a password, a query or a
    /// path may be a secret (a webhook's path token), and tenants read reasons.
    public static func displayURL(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return "(an invalid URL)" }
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : nil)
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost)" + (port.map { ":\($0)" } ?? "")
    }

    /// The delivery controls each remote destination gets.
    public var remoteGateSettings: DeliveryGate.Settings {
        DeliveryGate.Settings(maxRequestsPerMinute: remoteMaxRequestsPerMinute, maxConcurrency: remoteMaxConcurrency)
    }
}
