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

    func configuration() throws -> Configuration {
        var configuration = try Configuration.fromEnvironment(ProcessInfo.processInfo.environment)
        if let dataDir { configuration.dataDirectory = dataDir }
        return configuration
    }

    func bootstrapLogging() {
        let level: Logger.Level = verbose ? .debug : .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
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
