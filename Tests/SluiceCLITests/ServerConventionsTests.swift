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
        let serve = try ServeProcess(in: work, environment: ["SLUICE_LOG_FORMAT": "json", "SLUICE_LOG_LEVEL": "info"])
        defer { if serve.process.isRunning { serve.process.terminate() } }
        func lines() -> [[String: Any]] {
            serve.log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let listening = try #require(try await serve.port(), "no line said where the API listens: \(serve.log)")
        #expect(lines().contains { ($0["message"] as? String)?.contains("API listening on 127.0.0.1:\(listening)") == true }, "a JSON line says it")
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(listening)/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(await serve.stop() == 0)
        let levels = Set(lines().compactMap { $0["level"] as? String })
        #expect(!levels.isEmpty && levels.isSubset(of: ["info", "notice", "warning", "error", "critical"]), "\(levels)")
        #expect(levels.contains("info"), "SLUICE_LOG_LEVEL=info writes info lines: \(levels)")
    }
}
