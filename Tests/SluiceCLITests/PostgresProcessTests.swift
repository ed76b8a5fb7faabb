import Foundation
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// Several `sluice` processes on one PostgreSQL store and one folder, with
/// the Qdrant test server as their sink.
@Suite(.serialized, .timeLimit(.minutes(4))) struct PostgresProcessTests {
    let work: TemporaryDirectory
    let qdrant: QdrantTestServer
    let processes: StoreProcesses
    var corpus: String { work.path + "/corpus" }

    init() throws {
        work = try TemporaryDirectory("sluice-pg-processes")
        qdrant = try QdrantTestServer()
        processes = StoreProcesses(work: work, store: try TestDatabase.freshURL(), qdrant: qdrant)
    }

    func start(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        try processes.start(name, arguments, environment: environment)
    }

    func log(_ name: String) -> String { processes.log(name) }

    /// Whether the sink comes to hold exactly the points of the folder's files.
    func indexed() async throws -> Bool {
        let expected = try ExpectedIndex.pointIDs(of: corpus, chunker: MarkdownChunker())
        return try await eventually(within: .seconds(60), every: .milliseconds(200)) { (try? await qdrant.pointIDs()) == expected }
    }

    /// Two `run --watch` processes: one watches, the other stands by. SIGKILL
    /// the one watching, and the other takes over within the claim's length;
    /// its first scan finds what changed in the gap.
    @Test func aStandbyTakesOverTheWatchWhenTheWatchingProcessIsKilled() async throws {
        defer { work.remove() }
        for index in 0..<6 { _ = try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }
        let watched = URL(fileURLWithPath: corpus).resolvingSymlinksInPath().path
        // A batch the killed process held mid-completion goes back to the queue when its lease expires.
        let claim = ["SLUICE_WATCH_CLAIM_SECONDS": "3", "SLUICE_LEASE_SECONDS": "5"]
        let first = try start("first", ["run", corpus, "--watch"], environment: claim)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(try await eventually(within: .seconds(60)) { log("first").contains("watching \(watched)") }, "\(log("first"))")
        let second = try start("second", ["run", corpus, "--watch"], environment: claim)
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

    /// A process whose chunking differs from a running one's is refused
    /// (exit 2, saying why and what to do) instead of re-indexing its
    /// documents; once that one stopped, it starts and re-indexes.
    @Test func aProcessWithOtherSettingsIsRefusedWhileAnotherRunsAndStartsOnceItStopped() async throws {
        defer { work.remove() }
        for index in 0..<4 { _ = try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\n" + String(repeating: "words about item \(index). ", count: 40)) }
        let running = try start("running", ["run", corpus, "--watch"])
        defer { if running.isRunning { kill(running.processIdentifier, SIGKILL) } }
        #expect(try await indexed(), "\(log("running"))")

        let other = ["SLUICE_CHUNK_SIZE": "300"]
        let refused = try start("other", ["run", corpus], environment: other)
        _ = try await refused.exited()
        #expect(refused.terminationStatus == 2, "\(log("other"))")
        #expect(log("other").contains("index with other settings") && log("other").contains("?schema="), "\(log("other"))")

        kill(running.processIdentifier, SIGTERM)
        _ = try await running.exited()
        let alone = try start("other", ["run", corpus], environment: other)
        _ = try await alone.exited()
        #expect(alone.terminationStatus == 0, "\(log("other"))")
        #expect(log("other").contains("re-indexing"), "\(log("other"))")
    }
}
