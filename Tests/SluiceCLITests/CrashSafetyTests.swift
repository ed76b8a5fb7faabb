import Foundation
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// Process-level: `sluice run` killed with SIGKILL mid-work, more than once
/// and at different points, then restarted; the index must equal the files
/// with no duplicate chunks (DESIGN.md invariant 1).
@Suite(.serialized) struct CrashSafetyTests {
    /// The `sluice` binary built next to this test bundle (or SLUICE_BINARY).
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SLUICE_BINARY"] { return path }
        let bundleDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("sluice").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw SluiceError(.notFound, "the sluice binary was not found next to \(bundleDirectory.path); run `swift build` first or set SLUICE_BINARY")
    }

    func start(_ binary: String, corpus: String, data: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", corpus, "--data-dir", data, "--quiet", "--json"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Documents done so far, read from the store by another process, as `sluice status` would.
    func documentsDone(_ data: String) async -> Int {
        guard FileManager.default.fileExists(atPath: data + "/sluice.sqlite") else { return 0 }
        var configuration = Configuration()
        configuration.dataDirectory = data
        guard let runtime = try? SluiceRuntime(configuration: configuration),
            let tenants = try? await runtime.store.tenantSummaries()
        else { return 0 }
        return tenants.reduce(0) { $0 + $1.indexed + $1.deleted }
    }

    @Test func sigkillMidRunThenRestartConverges() async throws {
        let binary = try Self.binary()
        let work = try TemporaryDirectory("sluice-crash")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        var generator = CorpusGenerator(files: 2500, tenants: 3, seed: 11)
        generator.medianBytes = 1500
        generator.sigma = 0.8
        try generator.write(to: corpus)

        // Kill at two different points of progress, changing files in between.
        for (round, threshold) in [(1, 300), (2, 1200)] {
            let process = try start(binary, corpus: corpus, data: data)
            let deadline = Date().addingTimeInterval(300)
            while await documentsDone(data) < threshold && process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(30))
            }
            #expect(process.isRunning, "round \(round): the run must still be working when it is killed")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            // Files change while Sluice is down.
            for index in stride(from: round, to: 2500, by: 250) { try generator.modify(index, under: corpus, round: round) }
            try FileManager.default.removeItem(atPath: corpus + "/" + generator.relativePath(round * 7))
        }

        let final = try start(binary, corpus: corpus, data: data)
        final.waitUntilExit()
        #expect(final.terminationStatus == 0)

        var configuration = Configuration()
        configuration.dataDirectory = data
        let runtime = try SluiceRuntime(configuration: configuration)
        let stored = try await runtime.store.storedChunkSignatures()
        #expect(stored.rows == stored.signatures.count, "no duplicate chunks")
        let expected = try expectedSignatures(corpus)
        #expect(stored.signatures == expected, "missing \(expected.subtracting(stored.signatures).count), orphaned \(stored.signatures.subtracting(expected).count)")
        #expect(try await runtime.store.depth() == QueueDepth(), "nothing left in the queue")
    }

    func expectedSignatures(_ corpus: String) throws -> Set<ChunkSignature> {
        try ExpectedIndex.signatures(of: corpus, chunker: MarkdownChunker())
    }
}
