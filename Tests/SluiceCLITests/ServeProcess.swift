import Foundation
import SluiceTesting

/// A `sluice serve` of a test, configured by its environment alone (listening
/// on port 0), with its log in a file the test reads.
struct ServeProcess {
    let process = Process()
    let logPath: String

    /// Starts `sluice serve` with `environment` (SLUICE_LISTEN=127.0.0.1:0 unless given), its data in WORK/data.
    init(in work: TemporaryDirectory, environment: [String: String]) throws {
        logPath = work.path + "/serve.log"
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["serve"]
        process.environment = ["SLUICE_DATA_DIR": work.path + "/data", "SLUICE_LISTEN": "127.0.0.1:0"].merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port it says it listens on (in a text or a JSON log line), once it does; nil if not within 90 s.
    func port() async throws -> Int? {
        var port: Int?
        _ = try await eventually(within: .seconds(90), every: .milliseconds(100)) {
            port = log.components(separatedBy: "API listening on 127.0.0.1:").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            return port != nil
        }
        return port
    }

    /// SIGTERM, and its exit status.
    func stop() async -> Int32 {
        process.terminate()
        return await process.exitStatus()
    }
}
