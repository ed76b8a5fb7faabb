import Foundation
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `sluice run --watch` as a process: SIGTERM stops it gracefully (exit 0),
/// and a restart continues where it stopped.
@Suite(.serialized) struct WatchProcessTests {
    func start(_ corpus: String, _ data: String, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["run", corpus, "--watch", "--data-dir", data]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func expected(_ corpus: String) throws -> Set<ChunkSignature> {
        try ExpectedIndex.signatures(of: corpus, chunker: MarkdownChunker())
    }

    func waitForIndex(_ data: String, toEqual expected: Set<ChunkSignature>) async throws -> Bool {
        var configuration = Configuration()
        configuration.dataDirectory = data
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: data + "/sluice.sqlite"),
                let runtime = try? SluiceRuntime(configuration: configuration),
                let stored = try? await runtime.store.storedChunkSignatures(),
                stored.signatures == expected, stored.rows == expected.count
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func sigtermStopsGracefullyAndARestartContinues() async throws {
        let work = try TemporaryDirectory("sluice-watch-process")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<50 { try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }

        let first = try start(corpus, data, log: work.path + "/first.log")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")
        for index in 0..<30 { try work.write("corpus/acme/new\(index).md", "# New \(index)\n\nfresh words \(index)") }
        kill(first.processIdentifier, SIGTERM)
        _ = try await first.exited()
        #expect(first.terminationReason == .exit && first.terminationStatus == 0, "SIGTERM is a graceful stop")
        let log = (try? String(contentsOfFile: work.path + "/first.log", encoding: .utf8)) ?? ""
        #expect(log.contains("stopped; pending changes stay queued"), "the shutdown was graceful")

        // Changes while stopped, then a restart: everything converges.
        try work.remove("corpus/acme/doc3.md")
        try work.write("corpus/acme/doc4.md", "# Doc 4\n\nrewritten while stopped")
        let second = try start(corpus, data, log: work.path + "/second.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the restart catches up")
        kill(second.processIdentifier, SIGINT)
        #expect(try await second.exited().status == 0)
    }

    /// SIGKILL of a watching process while a burst of events is in flight:
    /// what it had taken in is in the store, and what it had not is found by
    /// the next start's scan, so the index converges to the files.
    @Test func sigkillWithEventsInFlightThenRestartConverges() async throws {
        let work = try TemporaryDirectory("sluice-watch-kill")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<20 { try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }
        let first = try start(corpus, data, log: work.path + "/first.log")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")
        // A burst of creates, edits and deletes, killed in the middle of it.
        for index in 0..<300 {
            try work.write("corpus/globex/burst\(index).md", "# Burst \(index)\n\nburst words \(index)")
            if index % 3 == 0 { try work.write("corpus/acme/doc\(index % 20).md", "# Doc \(index % 20)\n\nedited in the burst \(index)") }
            if index == 150 { try work.remove("corpus/acme/doc7.md") }
        }
        kill(first.processIdentifier, SIGKILL)
        _ = try await first.exited()
        #expect(first.terminationReason == .uncaughtSignal)

        let second = try start(corpus, data, log: work.path + "/second.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the restart converges to the files, no duplicate chunks")
        kill(second.processIdentifier, SIGTERM)
        #expect(try await second.exited().status == 0)
    }
}
