import Foundation
import SluiceBench
import SluiceTesting

/// `sluice` processes of a test on one store, writing to one Qdrant test
/// server: each with a data directory WORK/NAME of its own and its output in
/// WORK/NAME.log.
struct StoreProcesses {
    let work: TemporaryDirectory
    let store: String
    let qdrant: QdrantTestServer

    /// Starts `sluice ARGUMENTS --store … --data-dir WORK/NAME --sink qdrant …`,
    /// with the tests' settings (no settle window, 32 dimensions) under `environment`.
    func start(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = arguments + ["--store", store, "--data-dir", work.path + "/" + name, "--sink", "qdrant", "--qdrant-url", qdrant.url]
        process.environment = ["SLUICE_SETTLE_MS": "0", "SLUICE_EMBED_DIMENSION": "32"].merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: work.path + "/\(name).log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: work.path + "/\(name).log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// What the process started as NAME has written so far.
    func log(_ name: String) -> String { (try? String(contentsOfFile: work.path + "/\(name).log", encoding: .utf8)) ?? "" }

    /// The port the process started as NAME (listening on port 0) serves on, once it says; nil if it did not within 90 s.
    func port(of name: String) async throws -> Int? {
        var port: Int?
        _ = try await eventually(within: .seconds(90), every: .milliseconds(100)) {
            guard let line = log(name).split(separator: "\n").first(where: { $0.contains("API listening on 127.0.0.1:") }),
                  let after = line.split(separator: "API listening on 127.0.0.1:").last else { return false }
            port = Int(after.prefix { $0.isNumber })
            return port != nil
        }
        return port
    }
}
