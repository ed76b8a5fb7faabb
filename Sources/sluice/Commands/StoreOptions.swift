import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "A configuration file (TOML: one key = value per setting, e.g. concurrency = 8), under environment variables and flags (SLUICE_CONFIG).")
    var config: String?

    @Option(name: .long, help: .setting("SLUICE_DATA_DIR"))
    var dataDir: String?

    @Option(name: .customLong("store"), help: .setting("SLUICE_STORE_URL"))
    var storeURL: String?

    @Flag(name: .long, help: "Log more (debug level, or --log-level if lower).")
    var verbose = false

    @Option(name: .long, help: .setting("SLUICE_LOG_LEVEL"))
    var logLevel: String?

    @Option(name: .long, help: .setting("SLUICE_LOG_FORMAT"))
    var logFormat: String?

    @Option(name: .long, help: .setting("SLUICE_EMBEDDER"))
    var embedder: String?

    @Option(name: .long, help: .setting("SLUICE_EMBEDDER_URL"))
    var embedderURL: String?

    @Option(name: .long, help: .setting("SLUICE_EMBEDDER_MODEL"))
    var embedderModel: String?

    @Option(name: .long, help: .setting("SLUICE_SINK"))
    var sink: String?

    @Option(name: .long, help: .setting("SLUICE_WEBHOOK_URL"))
    var webhookURL: String?

    @Option(name: .long, help: .setting("SLUICE_FORWARD_URL"))
    var forwardURL: String?

    @Option(name: .long, help: .setting("SLUICE_QDRANT_URL"))
    var qdrantURL: String?

    @Option(name: .long, help: .setting("SLUICE_QDRANT_COLLECTION"))
    var qdrantCollection: String?

    @Option(name: .long, help: .setting("SLUICE_QDRANT_PAYLOAD"))
    var qdrantPayload: String?

    /// The configuration file, the environment, then these flags and a
    /// command's own (`more`: each a setting's variable and the flag's text).
    func configuration(_ more: [(variable: String, value: String?)] = []) throws -> Configuration {
        let flags: [(variable: String, value: String?)] = [
            ("SLUICE_DATA_DIR", dataDir), ("SLUICE_STORE_URL", storeURL), ("SLUICE_LOG_FORMAT", logFormat), ("SLUICE_LOG_LEVEL", logLevel),
            ("SLUICE_EMBEDDER", embedder),
            ("SLUICE_EMBEDDER_URL", embedderURL), ("SLUICE_EMBEDDER_MODEL", embedderModel), ("SLUICE_SINK", sink),
            ("SLUICE_WEBHOOK_URL", webhookURL), ("SLUICE_FORWARD_URL", forwardURL), ("SLUICE_QDRANT_URL", qdrantURL),
            ("SLUICE_QDRANT_COLLECTION", qdrantCollection), ("SLUICE_QDRANT_PAYLOAD", qdrantPayload),
        ] + more
        return try Configuration.resolve(
            environment: ProcessInfo.processInfo.environment, configFile: config,
            flags: flags.compactMap { flag in flag.value.map { (Setting.named(flag.variable)!, $0) } })
    }

    func bootstrapLogging(_ configuration: Configuration) {
        let level = verbose ? min(configuration.logLevel, .debug) : configuration.logLevel
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            if format == .json { return JSONLogHandler(label: label, level: level) }
            return TextLogHandler(label: label, level: level)
        }
    }

    /// Opens an existing store for reading commands; says how to create one
    /// when the SQLite file is missing (a PostgreSQL schema is created on first
    /// use). A command that uses only the store (`sinkRequired` false) opens a
    /// PostgreSQL store without a remote sink.
    func openExisting(
        sinkRequired: Bool = true, adjusting adjust: (inout Configuration) -> Void = { _ in }
    ) async throws -> SluiceRuntime {
        var configuration = try configuration()
        adjust(&configuration)
        if case .sqlite(let path) = try configuration.storeTarget, !FileManager.default.fileExists(atPath: path) {
            throw SluiceError(
                .notFound,
                "no Sluice store at \(configuration.absoluteDataDirectory); run `sluice run DIR` first, or point --data-dir (SLUICE_DATA_DIR) at an existing one")
        }
        bootstrapLogging(configuration)
        return try await SluiceRuntime.open(configuration: configuration, sinkRequired: sinkRequired)
    }
}

extension ArgumentHelp {
    /// A setting's flag help, from its one declaration: what it does, its variable and its default.
    static func setting(_ variable: String) -> ArgumentHelp {
        guard let setting = Setting.named(variable) else { preconditionFailure("no setting \(variable)") }
        let summary = setting.summary.prefix(1).uppercased() + setting.summary.dropFirst()
        return ArgumentHelp("\(summary) (\(variable); default \(setting.value(in: Configuration()))).")
    }
}
