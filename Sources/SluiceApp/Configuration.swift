import Foundation
import SluiceConnectors
import SluiceCore
import SluiceWatch

/// Every setting, resolved from flags, then SLUICE_* environment variables,
/// then defaults (DESIGN.md's table of knobs).
public struct Configuration: Sendable, Equatable {
    /// Where the store lives (`--data-dir`, SLUICE_DATA_DIR).
    public var dataDirectory: String = ".sluice"
    /// Documents per lease (SLUICE_BATCH_SIZE).
    public var batchSize: Int = 50
    /// Workers (SLUICE_CONCURRENCY).
    public var concurrency: Int = 4
    /// Failed attempts before a dead letter (SLUICE_MAX_RETRIES).
    public var maxRetries: Int = 5
    /// Base of the exponential, jittered backoff (SLUICE_RETRY_DELAY_MS).
    public var retryDelay: Duration = .milliseconds(2000)
    /// Quiet time after a change before it is processed (SLUICE_SETTLE_MS).
    public var settleWindow: Duration = .milliseconds(50)
    /// Longest wait after a document's first pending change (SLUICE_SETTLE_MAX_MS).
    public var settleMaximum: Duration = .milliseconds(2000)
    /// Chunks per embedding call (SLUICE_EMBED_BATCH_SIZE).
    public var embedBatchSize: Int = 256
    /// Lease length, renewed by heartbeat (SLUICE_LEASE_SECONDS).
    public var leaseDuration: Duration = .seconds(60)
    /// File bytes held in memory at once (SLUICE_MAX_INFLIGHT_BYTES).
    public var maxInflightBytes: Int = 256 << 20
    /// Larger files are skipped with a reason (SLUICE_MAX_FILE_BYTES).
    public var maxFileBytes: Int = 256 << 20
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
    /// Documents per batch request (SLUICE_MAX_BATCH_DOCUMENTS).
    public var maxBatchDocuments: Int = 500
    /// Largest HTTP request body (SLUICE_MAX_REQUEST_BYTES).
    public var maxRequestBytes: Int = 64 << 20
    /// API requests per minute per key (SLUICE_API_RATE_LIMIT_PER_MINUTE).
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

    public enum EmbedderKind: String, Sendable {
        case hashing
        case openai
    }

    /// Whether metrics are collected (SLUICE_METRICS: on or off); off only to measure what they cost.
    public var metricsEnabled = true
    /// When alerts are raised (SLUICE_ALERT_QUEUE_DEPTH, SLUICE_ALERT_ERROR_RATE).
    public var alertThresholds = AlertThresholds()
    /// Where indexed documents go (`--sink`, SLUICE_SINK).
    public var sink: SinkKind = .embedded
    /// Qdrant's REST root, e.g. http://127.0.0.1:6333 (`--qdrant-url`, SLUICE_QDRANT_URL).
    public var qdrantURL: String?
    /// The collection holding every tenant's points (`--qdrant-collection`, SLUICE_QDRANT_COLLECTION).
    public var qdrantCollection: String = "sluice"
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

    /// Sets the sink from `--sink` or SLUICE_SINK: a kind, or `sluice+http(s)://host:port` for another Sluice.
    public mutating func setSink(_ raw: String, source: String) throws {
        let lowered = raw.lowercased()
        if lowered.hasPrefix("sluice+http://") || lowered.hasPrefix("sluice+https://") {
            sink = .sluice
            forwardURL = String(raw.dropFirst("sluice+".count))
            return
        }
        guard let value = SinkKind(rawValue: lowered) else {
            throw SluiceError(
                .configuration,
                "\(source) \(raw) is not one of: \(SinkKind.allCases.map(\.rawValue).joined(separator: ", ")), or sluice+http(s)://host:port")
        }
        sink = value
    }
    /// `--exclude` patterns.
    public var exclude: [String] = []

    public init() {}

    /// One documented setting: its variable, meaning and default, for `sluice help run`.
    public struct Knob: Sendable {
        public var variable: String
        public var summary: String
        public var defaultValue: String
    }

    public static let knobs: [Knob] = [
        Knob(variable: "SLUICE_DATA_DIR", summary: "data directory holding the SQLite store", defaultValue: ".sluice"),
        Knob(variable: "SLUICE_BATCH_SIZE", summary: "documents a worker leases at once", defaultValue: "50"),
        Knob(variable: "SLUICE_CONCURRENCY", summary: "workers processing the queue", defaultValue: "4"),
        Knob(variable: "SLUICE_MAX_RETRIES", summary: "failed attempts before a document becomes a dead letter", defaultValue: "5"),
        Knob(variable: "SLUICE_RETRY_DELAY_MS", summary: "base of the exponential, jittered retry delay", defaultValue: "2000"),
        Knob(variable: "SLUICE_SETTLE_MS", summary: "quiet time after a change before processing it", defaultValue: "50"),
        Knob(variable: "SLUICE_SETTLE_MAX_MS", summary: "longest a document waits after its first pending change", defaultValue: "2000"),
        Knob(variable: "SLUICE_EMBED_BATCH_SIZE", summary: "chunks per embedding call", defaultValue: "256"),
        Knob(variable: "SLUICE_LEASE_SECONDS", summary: "lease length, renewed by heartbeat while working", defaultValue: "60"),
        Knob(variable: "SLUICE_MAX_INFLIGHT_BYTES", summary: "file and request bytes being worked on at once (a large document costs about 6 to 8 times its size in memory while processed: lower this on a small machine)", defaultValue: "268435456 (256 MiB)"),
        Knob(variable: "SLUICE_MAX_FILE_BYTES", summary: "larger files are skipped with a reason (text formats are also held to SLUICE_MAX_TEXT_BYTES)", defaultValue: "268435456 (256 MiB)"),
        Knob(variable: "SLUICE_MAX_TEXT_BYTES", summary: "documents whose extracted text is larger are skipped with a reason", defaultValue: "67108864 (64 MiB)"),
        Knob(variable: "SLUICE_MAX_INFLATED_BYTES", summary: "bytes one ZIP-based document (.docx, .pptx, .xlsx, OpenDocument, .epub) may inflate to; past it (a ZIP bomb) it is skipped", defaultValue: "268435456 (256 MiB)"),
        Knob(variable: "SLUICE_EXTRACT_TIMEOUT_SECONDS", summary: "longest reading, extracting and chunking one document may take (past it: a dead letter; a converter such as pdftotext is killed)", defaultValue: "60"),
        Knob(variable: "SLUICE_EXTRACT_MEMORY_MB", summary: "memory (address space) of a converter child process such as pdftotext", defaultValue: "512"),
        Knob(variable: "SLUICE_EMBED_DIMENSION", summary: "vector dimension (of the built-in embedder, or the one the service must return)", defaultValue: "384"),
        Knob(variable: "SLUICE_EMBEDDER", summary: "hashing (built in) or openai (an OpenAI-compatible /v1/embeddings service)", defaultValue: "hashing"),
        Knob(variable: "SLUICE_EMBEDDER_URL", summary: "the embeddings service's API root, e.g. http://127.0.0.1:11434/v1", defaultValue: "none"),
        Knob(variable: "SLUICE_EMBEDDER_MODEL", summary: "the model the embeddings service should use", defaultValue: "none"),
        Knob(variable: "SLUICE_EMBEDDER_API_KEY", summary: "the embeddings service's key (sent as a Bearer token, never printed)", defaultValue: "none"),
        Knob(variable: "SLUICE_SINK", summary: "where indexed documents go: embedded (the built-in index), qdrant, webhook, or sluice (another Sluice; also sluice+http(s)://host:port)", defaultValue: "embedded"),
        Knob(variable: "SLUICE_QDRANT_URL", summary: "with the qdrant sink: the server's REST root, e.g. http://127.0.0.1:6333", defaultValue: "none"),
        Knob(variable: "SLUICE_QDRANT_COLLECTION", summary: "with the qdrant sink: the collection for every tenant (created if missing)", defaultValue: "sluice"),
        Knob(variable: "SLUICE_QDRANT_API_KEY", summary: "with the qdrant sink: the server's key (sent in the api-key header, never printed)", defaultValue: "none"),
        Knob(variable: "SLUICE_SINK_BATCH_POINTS", summary: "points (chunks with vectors) per request to Qdrant or a webhook", defaultValue: "128"),
        Knob(variable: "SLUICE_WEBHOOK_URL", summary: "with the webhook sink: where batches are POSTed", defaultValue: "none"),
        Knob(variable: "SLUICE_WEBHOOK_SECRET", summary: "with the webhook sink: signs each body (X-Sluice-Signature, HMAC-SHA256; never printed)", defaultValue: "none"),
        Knob(variable: "SLUICE_FORWARD_URL", summary: "with the sluice sink: the other Sluice's root, e.g. http://central:7700", defaultValue: "none"),
        Knob(variable: "SLUICE_FORWARD_KEY", summary: "with the sluice sink: the other Sluice's API key (never printed)", defaultValue: "none"),
        Knob(variable: "SLUICE_SINK_MAX_REQUESTS_PER_MINUTE", summary: "requests per minute to each remote service (0: no cap)", defaultValue: "0"),
        Knob(variable: "SLUICE_SINK_MAX_CONCURRENCY", summary: "most requests in flight to each remote service (adaptive below it)", defaultValue: "16"),
        Knob(variable: "SLUICE_SINK_TIMEOUT_MS", summary: "how long one request to a remote service may take before it is a timeout (retried)", defaultValue: "30000"),
        Knob(variable: "SLUICE_CHUNK_SIZE", summary: "target chunk size in characters", defaultValue: "1000"),
        Knob(variable: "SLUICE_CHUNK_OVERLAP", summary: "characters shared by consecutive chunks", defaultValue: "100"),
        Knob(variable: "SLUICE_RESCAN_INTERVAL", summary: "seconds between safety rescans while watching; 0 disables", defaultValue: "600"),
        Knob(variable: "SLUICE_MAX_BATCH_DOCUMENTS", summary: "documents in one API batch request", defaultValue: "500"),
        Knob(variable: "SLUICE_MAX_REQUEST_BYTES", summary: "largest API request body", defaultValue: "67108864 (64 MiB)"),
        Knob(variable: "SLUICE_API_RATE_LIMIT_PER_MINUTE", summary: "API requests per minute per key", defaultValue: "10000"),
        Knob(variable: "SLUICE_API_RATE_LIMIT_EXEMPT", summary: "comma-separated CIDRs never rate limited", defaultValue: "127.0.0.0/8,::1/128"),
        Knob(variable: "SLUICE_TRUSTED_PROXIES", summary: "comma-separated CIDRs whose X-Forwarded-For is believed", defaultValue: "none"),
        Knob(variable: "SLUICE_ALERT_QUEUE_DEPTH", summary: "alert (log, /metrics, /v1/stats) while more changes than this are waiting", defaultValue: "10000"),
        Knob(variable: "SLUICE_ALERT_ERROR_RATE", summary: "alert while more than this share of attempts failed over 5 minutes (from 10 attempts)", defaultValue: "0.1"),
        Knob(variable: "SLUICE_METRICS", summary: "on or off: collect the metrics GET /metrics serves (off only to measure their cost)", defaultValue: "on"),
        Knob(variable: "SLUICE_DURABILITY", summary: "full (every commit survives power loss) or normal (survives a crash of Sluice)", defaultValue: "full"),
    ]

    /// Defaults overridden by the SLUICE_* variables in `environment`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> Configuration {
        var configuration = Configuration()
        try configuration.apply(environment: environment)
        return configuration
    }

    public mutating func apply(environment: [String: String]) throws {
        func int(_ name: String, min: Int, max: Int = .max) throws -> Int? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            guard let value = Int(raw), value >= min, value <= max else {
                throw SluiceError(.configuration, "\(name)=\(raw) is not a whole number from \(min) to \(max == .max ? "any" : String(max))")
            }
            return value
        }
        if let value = environment["SLUICE_DATA_DIR"], !value.isEmpty { dataDirectory = value }
        if let value = try int("SLUICE_BATCH_SIZE", min: 1, max: 10_000) { batchSize = value }
        if let value = try int("SLUICE_CONCURRENCY", min: 1, max: 1024) { concurrency = value }
        if let value = try int("SLUICE_MAX_RETRIES", min: 1, max: 1000) { maxRetries = value }
        if let value = try int("SLUICE_RETRY_DELAY_MS", min: 0, max: 86_400_000) { retryDelay = .milliseconds(value) }
        if let value = try int("SLUICE_SETTLE_MS", min: 0, max: 3_600_000) { settleWindow = .milliseconds(value) }
        if let value = try int("SLUICE_SETTLE_MAX_MS", min: 0, max: 86_400_000) { settleMaximum = .milliseconds(value) }
        if let value = try int("SLUICE_EMBED_BATCH_SIZE", min: 1, max: 100_000) { embedBatchSize = value }
        if let value = try int("SLUICE_LEASE_SECONDS", min: 1, max: 86_400) { leaseDuration = .seconds(value) }
        if let value = try int("SLUICE_MAX_INFLIGHT_BYTES", min: 1 << 16, max: 1 << 40) { maxInflightBytes = value }
        if let value = try int("SLUICE_MAX_FILE_BYTES", min: 1, max: 1 << 40) { maxFileBytes = value }
        if let value = try int("SLUICE_EXTRACT_TIMEOUT_SECONDS", min: 1, max: 86_400) { extractTimeout = .seconds(value) }
        if let value = try int("SLUICE_EXTRACT_MEMORY_MB", min: 64, max: 1 << 20) { extractMemoryBytes = value << 20 }
        if let value = try int("SLUICE_MAX_TEXT_BYTES", min: 1024, max: 1 << 40) { maxTextBytes = value }
        if let value = try int("SLUICE_MAX_INFLATED_BYTES", min: 1024, max: 1 << 40) { maxInflatedBytes = value }
        if let value = try int("SLUICE_EMBED_DIMENSION", min: 8, max: 65_536) { embeddingDimension = value }
        if let value = try int("SLUICE_CHUNK_SIZE", min: 50, max: 1_000_000) { chunkSize = value }
        if let value = try int("SLUICE_CHUNK_OVERLAP", min: 0, max: 1_000_000) { chunkOverlap = value }
        if let value = try int("SLUICE_MAX_BATCH_DOCUMENTS", min: 1, max: 100_000) { maxBatchDocuments = value }
        if let value = try int("SLUICE_MAX_REQUEST_BYTES", min: 1024, max: 1 << 36) { maxRequestBytes = value }
        if let value = try int("SLUICE_API_RATE_LIMIT_PER_MINUTE", min: 1, max: 100_000_000) { apiRateLimitPerMinute = value }
        if let value = try int("SLUICE_API_BODY_TIMEOUT_SECONDS", min: 1, max: 3600) { apiBodyTimeout = .seconds(value) }
        if let value = try int("SLUICE_API_IDLE_TIMEOUT_SECONDS", min: 1, max: 86_400) { apiIdleTimeout = .seconds(value) }
        if let value = try int("SLUICE_API_MAX_UPLOADS_PER_KEY", min: 1, max: 1_000_000) { apiMaxUploadsPerKey = value }
        if let value = try int("SLUICE_API_MAX_WAITERS_PER_KEY", min: 1, max: 1_000_000) { apiMaxWaitersPerKey = value }
        func cidrs(_ name: String) throws -> [CIDRBlock]? {
            guard let raw = environment[name] else { return nil }
            do {
                return try CIDRBlock.list(raw)
            } catch let error as SluiceError {
                throw SluiceError(.configuration, "\(name): \(error.message)")
            }
        }
        if let raw = environment["SLUICE_EMBEDDER"], !raw.isEmpty {
            guard let value = EmbedderKind(rawValue: raw.lowercased()) else {
                throw SluiceError(.configuration, "SLUICE_EMBEDDER=\(raw) is not one of: hashing, openai")
            }
            embedder = value
        }
        if let value = environment["SLUICE_EMBEDDER_URL"], !value.isEmpty { embedderURL = value }
        if let value = environment["SLUICE_EMBEDDER_MODEL"], !value.isEmpty { embedderModel = value }
        if let value = environment["SLUICE_EMBEDDER_API_KEY"], !value.isEmpty { embedderAPIKey = value }
        if let raw = environment["SLUICE_SINK"], !raw.isEmpty { try setSink(raw, source: "SLUICE_SINK=") }
        if let value = environment["SLUICE_WEBHOOK_URL"], !value.isEmpty { webhookURL = value }
        if let value = environment["SLUICE_WEBHOOK_SECRET"], !value.isEmpty { webhookSecret = value }
        if let value = environment["SLUICE_FORWARD_URL"], !value.isEmpty { forwardURL = value }
        if let value = environment["SLUICE_FORWARD_KEY"], !value.isEmpty { forwardKey = value }
        if let value = environment["SLUICE_QDRANT_URL"], !value.isEmpty { qdrantURL = value }
        if let value = environment["SLUICE_QDRANT_COLLECTION"], !value.isEmpty { qdrantCollection = value }
        if let value = environment["SLUICE_QDRANT_API_KEY"], !value.isEmpty { qdrantAPIKey = value }
        if let value = try int("SLUICE_SINK_BATCH_POINTS", min: 1, max: 10_000) { sinkBatchPoints = value }
        if let value = try int("SLUICE_SINK_MAX_REQUESTS_PER_MINUTE", min: 0, max: 100_000_000) { remoteMaxRequestsPerMinute = value == 0 ? nil : value }
        if let value = try int("SLUICE_SINK_MAX_CONCURRENCY", min: 1, max: 10_000) { remoteMaxConcurrency = value }
        if let value = try int("SLUICE_SINK_TIMEOUT_MS", min: 1, max: 3_600_000) { remoteTimeout = .milliseconds(value) }
        if let value = try cidrs("SLUICE_API_RATE_LIMIT_EXEMPT") { apiRateLimitExempt = value }
        if let value = try cidrs("SLUICE_TRUSTED_PROXIES") { trustedProxies = value }
        if let value = try int("SLUICE_RESCAN_INTERVAL", min: 0, max: 31_536_000) { rescanInterval = value == 0 ? nil : .seconds(value) }
        if let value = try int("SLUICE_ALERT_QUEUE_DEPTH", min: 1, max: 1_000_000_000) { alertThresholds.queueDepth = value }
        if let raw = environment["SLUICE_ALERT_ERROR_RATE"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            guard let value = Double(raw), value >= 0, value < 1 else {
                throw SluiceError(.configuration, "SLUICE_ALERT_ERROR_RATE=\(raw) is not a share from 0 to 1 (below 1), e.g. 0.1 for 10%")
            }
            alertThresholds.errorRate = value
        }
        if let raw = environment["SLUICE_METRICS"], !raw.isEmpty {
            switch raw.lowercased() {
            case "on", "true", "1": metricsEnabled = true
            case "off", "false", "0": metricsEnabled = false
            default: throw SluiceError(.configuration, "SLUICE_METRICS=\(raw) is not one of: on, off")
            }
        }
        if let raw = environment["SLUICE_DURABILITY"], !raw.isEmpty {
            guard let value = Durability(rawValue: raw.lowercased()) else {
                throw SluiceError(.configuration, "SLUICE_DURABILITY=\(raw) is not one of: full, normal")
            }
            durability = value
        }
    }

    /// Checks combinations the individual parsers cannot.
    public func validate() throws {
        if embedder == .openai && (embedderURL == nil || embedderModel == nil) {
            throw SluiceError(.configuration, "--embedder openai needs --embedder-url (SLUICE_EMBEDDER_URL) and --embedder-model (SLUICE_EMBEDDER_MODEL)")
        }
        if sink == .qdrant && qdrantURL == nil {
            throw SluiceError(.configuration, "--sink qdrant needs --qdrant-url (SLUICE_QDRANT_URL), e.g. http://127.0.0.1:6333")
        }
        if sink == .webhook && webhookURL == nil {
            throw SluiceError(.configuration, "--sink webhook needs --webhook-url (SLUICE_WEBHOOK_URL)")
        }
        if sink == .sluice && forwardURL == nil {
            throw SluiceError(.configuration, "--sink sluice needs --forward-url (SLUICE_FORWARD_URL), or write --sink sluice+http://host:port")
        }
        if chunkOverlap >= chunkSize {
            throw SluiceError(.configuration, "chunk overlap (\(chunkOverlap)) must be smaller than the chunk size (\(chunkSize))")
        }
        for pattern in include + exclude {
            _ = try GlobPattern(pattern)
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
