import SluiceCore

extension Setting {
    /// Every setting, in the order `sluice help run` lists them.
    public static let all: [Setting] = [
        .text("SLUICE_DATA_DIR", flag: "--data-dir", "data directory holding the SQLite store", \.dataDirectory),
        .text("SLUICE_STORE_URL", flag: "--store", "where the queue and document state live: unset, the SQLite file in the data directory; postgres://user:password@host:port/database[?schema=name] to share them among processes and hosts (vectors then go to a remote sink; never printed)", \.storeURL, secret: true),
        .choice("SLUICE_LOG_FORMAT", flag: "--log-format", "text, or json: one JSON object per log line", \.logFormat),
        .choice("SLUICE_LOG_LEVEL", flag: "--log-level", "the least severe log lines written: trace, debug, info, notice, warning, error or critical", \.logLevel),
        .listen,
        .int("SLUICE_BATCH_SIZE", flag: "--batch-size", "documents a worker leases at once", \.batchSize, 1...10_000),
        .int("SLUICE_CONCURRENCY", flag: "--concurrency", "workers processing the queue", \.concurrency, 1...1024),
        .int("SLUICE_MAX_RETRIES", "failed attempts before a document becomes a dead letter", \.maxRetries, 1...1000),
        .duration("SLUICE_RETRY_DELAY_MS", "base of the exponential, jittered retry delay, in milliseconds", \.retryDelay, 0...86_400_000, unit: .milliseconds(1)),
        .duration("SLUICE_SETTLE_MS", "quiet time after a change before processing it, in milliseconds", \.settleWindow, 0...3_600_000, unit: .milliseconds(1)),
        .duration("SLUICE_SETTLE_MAX_MS", "longest a document waits after its first pending change, in milliseconds", \.settleMaximum, 0...86_400_000, unit: .milliseconds(1)),
        .int("SLUICE_EMBED_BATCH_SIZE", "chunks per embedding call", \.embedBatchSize, 1...100_000),
        .duration("SLUICE_LEASE_SECONDS", "lease length, renewed by heartbeat while working", \.leaseDuration, 1...86_400, unit: .seconds(1)),
        .duration("SLUICE_WATCH_CLAIM_SECONDS", "with a PostgreSQL store, how long one process's claim to watch a folder lasts unrenewed: processes watching the same folder take turns, and a standby takes over this long after the active one dies", \.watchClaimDuration, 2...3600, unit: .seconds(1)),
        .int("SLUICE_MAX_INFLIGHT_BYTES", "file and request bytes being worked on at once (a large document costs about 6 to 8 times its size in memory while processed: lower this on a small machine)", \.maxInflightBytes, 1 << 16...1 << 40),
        .int("SLUICE_MAX_FILE_BYTES", "larger files are skipped with a reason (text formats are also held to SLUICE_MAX_TEXT_BYTES)", \.maxFileBytes, 1...1 << 40),
        .number("SLUICE_TENANT_MAX_CHUNKS", "the most chunks one tenant's documents may hold, so one tenant cannot fill the disk or the sink every tenant shares (0: no limit); a document that would take its tenant past it is skipped with the reason, and files skipped for it are read again when Sluice starts", 0...1 << 40,
                set: { $0.tenantMaxChunks = $1 == 0 ? nil : $1 }, get: { $0.tenantMaxChunks ?? 0 }),
        .number("SLUICE_TENANT_MAX_WATCHED_FOLDERS", "while watching, the most folders of one tenant watched with inotify, and at most half the kernel's fs.inotify.max_user_watches, so one tenant's folders cannot use up the watches every tenant shares (0: no limit but the kernel's); that tenant's further folders are seen by rescans of its folder every minute", 0...1 << 30,
                set: { $0.tenantMaxWatchedFolders = $1 == 0 ? nil : $1 }, get: { $0.tenantMaxWatchedFolders ?? 0 }),
        .int("SLUICE_MAX_TEXT_BYTES", "documents whose extracted text is larger are skipped with a reason", \.maxTextBytes, 1024...1 << 40),
        .int("SLUICE_MAX_INFLATED_BYTES", "bytes one ZIP-based document (.docx, .pptx, .xlsx, OpenDocument, .epub) may inflate to; past it (a ZIP bomb) it is skipped", \.maxInflatedBytes, 1024...1 << 40),
        .duration("SLUICE_EXTRACT_TIMEOUT_SECONDS", "longest reading, extracting and chunking one document may take (past it: a dead letter; a converter such as pdftotext is killed)", \.extractTimeout, 1...86_400, unit: .seconds(1)),
        .number("SLUICE_EXTRACT_MEMORY_MB", "memory (address space) of a converter child process such as pdftotext, in MiB", 64...1 << 20,
                set: { $0.extractMemoryBytes = $1 << 20 }, get: { $0.extractMemoryBytes >> 20 }),
        .number("SLUICE_SEARCH_MEMORY_MB", "memory the embedded index's search keeps its tenants' vectors in, in MiB (about 400 MiB per million chunks of 384 dimensions; past it the least recently searched tenants go; a tenant larger than it, or 0, is scanned in the file at each search)", 0...1 << 20,
                set: { $0.searchMemoryBytes = $1 << 20 }, get: { $0.searchMemoryBytes >> 20 }),
        .int("SLUICE_EMBED_DIMENSION", flag: "--embed-dimension", "vector dimension (of the built-in embedder, or the one the service must return)", \.embeddingDimension, 8...65_536),
        .choice("SLUICE_EMBEDDER", flag: "--embedder", "hashing (built in) or openai (an OpenAI-compatible /v1/embeddings service)", \.embedder),
        .text("SLUICE_EMBEDDER_URL", flag: "--embedder-url", "the embeddings service's API root, e.g. http://127.0.0.1:11434/v1", \.embedderURL),
        .text("SLUICE_EMBEDDER_MODEL", flag: "--embedder-model", "the model the embeddings service should use, e.g. text-embedding-3-small", \.embedderModel),
        .text("SLUICE_EMBEDDER_API_KEY", "the embeddings service's key (sent as a Bearer token, never printed)", \.embedderAPIKey, secret: true),
        .sink,
        .text("SLUICE_QDRANT_URL", flag: "--qdrant-url", "with the qdrant sink: the server's REST root, e.g. http://127.0.0.1:6333", \.qdrantURL),
        .text("SLUICE_QDRANT_COLLECTION", flag: "--qdrant-collection", "with the qdrant sink: the collection for every tenant (created if missing)", \.qdrantCollection),
        .choice("SLUICE_QDRANT_PAYLOAD", flag: "--qdrant-payload", "with the qdrant sink: each point's payload layout, sluice (docs/schemas/qdrant-point.v2.json) or langchain (the text under page_content and content, the rest under metadata, as LangChain's and n8n's Qdrant vector stores read it)", \.qdrantPayload),
        .text("SLUICE_QDRANT_API_KEY", "with the qdrant sink: the server's key (sent in the api-key header, never printed)", \.qdrantAPIKey, secret: true),
        .int("SLUICE_SINK_BATCH_POINTS", "points (chunks with vectors) per request to Qdrant or a webhook", \.sinkBatchPoints, 1...10_000),
        .text("SLUICE_WEBHOOK_URL", flag: "--webhook-url", "with the webhook sink: where batches are POSTed", \.webhookURL),
        .text("SLUICE_WEBHOOK_SECRET", "with the webhook sink: signs each request as Standard Webhooks do (webhook-id, webhook-timestamp, webhook-signature; whsec_<base64> or any text; never printed)", \.webhookSecret, secret: true),
        .text("SLUICE_FORWARD_URL", flag: "--forward-url", "with the sluice sink: the other Sluice's root, e.g. http://central:7700", \.forwardURL),
        .text("SLUICE_FORWARD_KEY", "with the sluice sink: the other Sluice's API key (never printed)", \.forwardKey, secret: true),
        .number("SLUICE_SINK_MAX_REQUESTS_PER_MINUTE", "requests per minute to each remote service (0: no cap)", 0...100_000_000,
                set: { $0.remoteMaxRequestsPerMinute = $1 == 0 ? nil : $1 }, get: { $0.remoteMaxRequestsPerMinute ?? 0 }),
        .int("SLUICE_SINK_MAX_CONCURRENCY", "most requests in flight to each remote service (adaptive below it)", \.remoteMaxConcurrency, 1...10_000),
        .duration("SLUICE_SINK_TIMEOUT_MS", "how long one request to a remote service may take before it is a timeout (retried), in milliseconds", \.remoteTimeout, 1...3_600_000, unit: .milliseconds(1)),
        .int("SLUICE_CHUNK_SIZE", flag: "--chunk-size", "target chunk size in characters", \.chunkSize, 50...1_000_000),
        .int("SLUICE_CHUNK_OVERLAP", flag: "--chunk-overlap", "characters shared by consecutive chunks", \.chunkOverlap, 0...1_000_000),
        .number("SLUICE_RESCAN_INTERVAL", "seconds between safety rescans while watching; 0 disables", 0...31_536_000,
                set: { $0.rescanInterval = $1 == 0 ? nil : .seconds($1) }, get: { $0.rescanInterval.map { Int($0 / .seconds(1)) } ?? 0 }),
        .duration("SLUICE_UNWATCHED_RESCAN_SECONDS", "while watching, seconds between rescans of the tenants with folders left unwatched (past SLUICE_TENANT_MAX_WATCHED_FOLDERS or the kernel's limit), at least twenty times as long as the last such rescan took", \.unwatchedRescanInterval, 1...86_400, unit: .seconds(1)),
        .int("SLUICE_MAX_BATCH_DOCUMENTS", "documents in one API batch request", \.maxBatchDocuments, 1...100_000),
        .int("SLUICE_MAX_REQUEST_BYTES", "largest API request body", \.maxRequestBytes, 1024...1 << 36),
        .int("SLUICE_API_RATE_LIMIT_PER_MINUTE", "API requests per minute per key, each document of a batch counted as one, and a document once per 64 KiB of its content", \.apiRateLimitPerMinute, 1...100_000_000),
        .cidrs("SLUICE_API_RATE_LIMIT_EXEMPT", "comma-separated CIDRs never rate limited", \.apiRateLimitExempt),
        .cidrs("SLUICE_TRUSTED_PROXIES", "comma-separated CIDRs whose X-Forwarded-For is believed", \.trustedProxies),
        .duration("SLUICE_API_BODY_TIMEOUT_SECONDS", "how long a request body may take to arrive after its head (the connection is closed past it)", \.apiBodyTimeout, 1...3600, unit: .seconds(1)),
        .duration("SLUICE_API_IDLE_TIMEOUT_SECONDS", "how long a connection may stay open with no request in progress", \.apiIdleTimeout, 1...86_400, unit: .seconds(1)),
        .int("SLUICE_API_MAX_UPLOADS_PER_KEY", "request bodies one API key may be sending at once (429 past it)", \.apiMaxUploadsPerKey, 1...1_000_000),
        .int("SLUICE_API_MAX_WAITERS_PER_KEY", "publishes of one API key that may wait with ?wait at once (429 past it)", \.apiMaxWaitersPerKey, 1...1_000_000),
        .int("SLUICE_ALERT_QUEUE_DEPTH", "alert (log, /metrics, /v1/stats) while more changes than this are waiting", \.alertThresholds.queueDepth, 1...1_000_000_000),
        .alertErrorRate,
        .metrics,
        .int("SLUICE_METRICS_TENANT_SERIES", "tenants with series of their own in /metrics (those with the most documents waiting; the others are summed as tenant=\"(other)\")", \.metricsTenantSeries, 0...100_000),
        .choice("SLUICE_DURABILITY", "full (every accepted change survives power loss; the last leases and completions may be redone after one) or normal (survives a crash of Sluice)", \.durability),
    ]

    /// The setting read from `variable`, if Sluice has one.
    public static func named(_ variable: String) -> Setting? {
        all.first { $0.variable == variable }
    }

    /// A kind, or `sluice+http(s)://host:port` for another Sluice (which also sets its URL).
    static let sink = Setting(
        variable: "SLUICE_SINK", flag: "--sink",
        summary: "where indexed documents go: embedded (the built-in index), qdrant, webhook, or sluice (another Sluice; also sluice+http(s)://host:port)",
        isSecret: false,
        assign: { configuration, raw throws(Refusal) in
            let lowered = raw.lowercased()
            if lowered.hasPrefix("sluice+http://") || lowered.hasPrefix("sluice+https://") {
                configuration.sink = .sluice
                configuration.forwardURL = String(raw.dropFirst("sluice+".count))
                return
            }
            guard let value = Configuration.SinkKind(rawValue: lowered) else {
                throw Refusal(expected: "one of: \(Configuration.SinkKind.allCases.map(\.rawValue).joined(separator: ", ")), or sluice+http(s)://host:port")
            }
            configuration.sink = value
        },
        describe: { $0.sink.rawValue })

    static let alertErrorRate = Setting(
        variable: "SLUICE_ALERT_ERROR_RATE",
        flag: nil, summary: "alert while more than this share of attempts failed over 5 minutes (from 10 attempts)", isSecret: false,
        assign: { configuration, raw throws(Refusal) in
            guard let value = Double(raw), value >= 0, value < 1 else { throw Refusal(expected: "a share from 0 to 1 (below 1), e.g. 0.1 for 10%") }
            configuration.alertThresholds.errorRate = value
        },
        describe: { String($0.alertThresholds.errorRate) })

    static let listen = Setting(
        variable: "SLUICE_LISTEN",
        flag: "--listen", summary: "where serve (and run --watch) answer HTTP, HOST:PORT; unset, serve listens on 127.0.0.1:8080 and run --watch not at all",
        isSecret: false,
        assign: { configuration, raw throws(Refusal) in
            guard !raw.isEmpty else { return }
            guard let address = try? LiveSession.Listen(parsing: raw) else { throw Refusal(expected: "HOST:PORT, for example 0.0.0.0:8080 or [::1]:8080") }
            configuration.listen = address
        },
        describe: { $0.listen.map { "\($0.host.contains(":") ? "[\($0.host)]" : $0.host):\($0.port)" } })

    static let metrics = Setting(
        variable: "SLUICE_METRICS",
        flag: nil, summary: "on or off: collect the metrics GET /metrics serves (off only to measure their cost)", isSecret: false,
        assign: { configuration, raw throws(Refusal) in
            switch raw.lowercased() {
            case "on", "true", "1": configuration.metricsEnabled = true
            case "off", "false", "0": configuration.metricsEnabled = false
            default: throw Refusal(expected: "one of: on, off")
            }
        },
        describe: { $0.metricsEnabled ? "on" : "off" })
}
