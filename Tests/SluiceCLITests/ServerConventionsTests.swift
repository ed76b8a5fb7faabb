import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceCore
import SluiceTesting
import Testing

/// What a container, a unit file or a shell expects of a server's command line.
@Suite struct ServerConventionsTests {
    @Test func versionIsPrintedAndExitsZero() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        #expect(status == 0)
        #expect(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == SluiceVersion.current)
    }

    /// `serve` configured by the environment alone, as a container is:
    /// where to listen, how much to log and in which format.
    @Test(.timeLimit(.minutes(3))) func serveListensAndLogsAsItsEnvironmentSays() async throws {
        let work = try TemporaryDirectory("sluice-serve-env")
        defer { work.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["serve"]
        process.environment = [
            "SLUICE_DATA_DIR": work.path + "/data", "SLUICE_LISTEN": "127.0.0.1:0", "SLUICE_LOG_FORMAT": "json", "SLUICE_LOG_LEVEL": "info",
        ]
        let logPath = work.path + "/serve.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func lines() -> [[String: Any]] {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        var port: Int?
        _ = try await eventually(within: .seconds(90), every: .milliseconds(100)) {
            let message = lines().compactMap { $0["message"] as? String }.first { $0.contains("API listening on 127.0.0.1:") }
            port = message.flatMap { Int($0.split(separator: ":").last?.prefix { $0.isNumber } ?? "") }
            return port != nil
        }
        let listening = try #require(port, "no JSON line said where the API listens: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(listening)/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        process.terminate()
        #expect(await process.exitStatus() == 0)
        let levels = Set(lines().compactMap { $0["level"] as? String })
        #expect(!levels.isEmpty && levels.isSubset(of: ["info", "notice", "warning", "error", "critical"]), "\(levels)")
        #expect(levels.contains("info"), "SLUICE_LOG_LEVEL=info writes info lines: \(levels)")
    }
}
