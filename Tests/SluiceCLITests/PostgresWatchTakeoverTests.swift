import Foundation
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// Two `sluice run --watch` processes on one PostgreSQL store and one folder:
/// one watches, the other stands by; SIGKILL the one watching, and the other
/// takes over within the claim's length and its first scan finds what
/// changed in the gap. Points in the Qdrant test server are exactly the files'.
@Suite(.serialized, .timeLimit(.minutes(4))) struct PostgresWatchTakeoverTests {
    @Test func aStandbyTakesOverTheWatchWhenTheWatchingProcessIsKilled() async throws {
        let work = try TemporaryDirectory("sluice-pg-watch")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        for index in 0..<6 { _ = try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }
        let qdrant = try QdrantTestServer()
        let store = try TestDatabase.freshURL()
        func start(_ name: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
            process.arguments = [
                "run", corpus, "--watch", "--store", store, "--data-dir", work.path + "/" + name,
                "--sink", "qdrant", "--qdrant-url", qdrant.url,
            ]
            process.environment = ["SLUICE_SETTLE_MS": "0", "SLUICE_EMBED_DIMENSION": "32", "SLUICE_WATCH_CLAIM_SECONDS": "3"]
            _ = FileManager.default.createFile(atPath: work.path + "/\(name).log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: work.path + "/\(name).log"))
            process.standardOutput = log
            process.standardError = log
            try process.run()
            return process
        }
        func log(_ name: String) -> String { (try? String(contentsOfFile: work.path + "/\(name).log", encoding: .utf8)) ?? "" }
        func indexed() async throws -> Bool {
            let expected = try ExpectedIndex.pointIDs(of: corpus, chunker: MarkdownChunker())
            return try await eventually(within: .seconds(60), every: .milliseconds(200)) { (try? await qdrant.pointIDs()) == expected }
        }

        let watched = URL(fileURLWithPath: corpus).resolvingSymlinksInPath().path
        let first = try start("first")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(try await eventually(within: .seconds(60)) { log("first").contains("watching \(watched)") }, "\(log("first"))")
        let second = try start("second")
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        #expect(try await eventually(within: .seconds(60)) { log("second").contains("standing by") }, "\(log("second"))")
        #expect(!log("second").contains("watching \(watched)"), "only one process watches")
        #expect(try await indexed(), "the files are indexed")

        kill(first.processIdentifier, SIGKILL)
        _ = try await first.exited()
        // Changed while nobody watches.
        _ = try work.write("corpus/acme/gap.md", "# Gap\n\nwritten while nobody watched")
        try work.remove("corpus/acme/doc1.md")
        #expect(try await indexed(), "the standby took over and found the gap's changes: \(log("second"))")
        #expect(log("second").contains("taking over the watch"), "\(log("second"))")

        // Watched now by the second: a change is seen live.
        _ = try work.write("corpus/acme/live.md", "# Live\n\nwritten under the new watcher")
        #expect(try await indexed(), "a change after the takeover is indexed")
        kill(second.processIdentifier, SIGTERM)
        _ = try await second.exited()
        #expect(second.terminationStatus == 0, "\(log("second"))")
    }
}
