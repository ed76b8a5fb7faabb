import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory holding the store (SLUICE_DATA_DIR; default .sluice).")
    var dataDir: String?

    @Flag(name: .long, help: "Log more (debug level).")
    var verbose = false

    @Option(name: .long, help: "text (the default) or json: one JSON object per log line (SLUICE_LOG_FORMAT).")
    var logFormat: String?

    @Option(name: .long, help: "hashing (built in, the default) or openai: an OpenAI-compatible /v1/embeddings service (SLUICE_EMBEDDER).")
    var embedder: String?

    @Option(name: .long, help: "With --embedder openai: the API root, e.g. http://127.0.0.1:11434/v1 (SLUICE_EMBEDDER_URL; key in SLUICE_EMBEDDER_API_KEY).")
    var embedderURL: String?

    @Option(name: .long, help: "With --embedder openai: the model, e.g. text-embedding-3-small (SLUICE_EMBEDDER_MODEL); --embed-dimension or SLUICE_EMBED_DIMENSION must match it.")
    var embedderModel: String?

    @Option(name: .long, help: "Where indexed documents go: embedded (the built-in index, the default), qdrant, webhook, or sluice+http(s)://host:port for another Sluice (SLUICE_SINK).")
    var sink: String?

    @Option(name: .long, help: "With --sink webhook: where batches are POSTed (SLUICE_WEBHOOK_URL; signing secret in SLUICE_WEBHOOK_SECRET).")
    var webhookURL: String?

    @Option(name: .long, help: "With --sink sluice: the other Sluice's root, e.g. http://central:7700 (SLUICE_FORWARD_URL; key in SLUICE_FORWARD_KEY).")
    var forwardURL: String?

    @Option(name: .long, help: "With --sink qdrant: the server's REST root, e.g. http://127.0.0.1:6333 (SLUICE_QDRANT_URL; key in SLUICE_QDRANT_API_KEY).")
    var qdrantURL: String?

    @Option(name: .long, help: "With --sink qdrant: the collection holding every tenant's points, created if missing (SLUICE_QDRANT_COLLECTION; default sluice).")
    var qdrantCollection: String?

    func configuration() throws -> Configuration {
        var configuration = try Configuration.fromEnvironment(ProcessInfo.processInfo.environment)
        if let dataDir { configuration.dataDirectory = dataDir }
        if let embedder {
            guard let kind = Configuration.EmbedderKind(rawValue: embedder.lowercased()) else {
                throw ValidationError("--embedder \(embedder) is not one of: hashing, openai")
            }
            configuration.embedder = kind
        }
        if let embedderURL { configuration.embedderURL = embedderURL }
        if let embedderModel { configuration.embedderModel = embedderModel }
        if let sink { try configuration.setSink(sink, source: "--sink") }
        if let webhookURL { configuration.webhookURL = webhookURL }
        if let forwardURL { configuration.forwardURL = forwardURL }
        if let qdrantURL { configuration.qdrantURL = qdrantURL }
        if let qdrantCollection { configuration.qdrantCollection = qdrantCollection }
        return configuration
    }

    func bootstrapLogging() {
        let level: Logger.Level = verbose ? .debug : .notice
        let format = (logFormat ?? ProcessInfo.processInfo.environment["SLUICE_LOG_FORMAT"] ?? "text").lowercased()
        LoggingSystem.bootstrap { label in
            if format == "json" { return JSONLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    func validate() throws {
        if let logFormat, !["text", "json"].contains(logFormat.lowercased()) {
            throw ValidationError("--log-format \(logFormat) is not one of: text, json")
        }
    }

    /// Opens an existing store for reading commands; says how to create one when there is none.
    func openExisting() throws -> SluiceRuntime {
        let configuration = try configuration()
        guard FileManager.default.fileExists(atPath: configuration.storePath) else {
            throw SluiceError(
                .notFound,
                "no Sluice store at \(configuration.absoluteDataDirectory); run `sluice run DIR` first, or point --data-dir (SLUICE_DATA_DIR) at an existing one")
        }
        bootstrapLogging()
        return try SluiceRuntime(configuration: configuration)
    }
}
