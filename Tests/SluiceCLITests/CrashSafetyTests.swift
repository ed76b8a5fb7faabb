import Foundation
import class GRDB.DatabaseQueue
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Synchronization
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

    func start(_ binary: String, corpus: String, data: String, environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", corpus, "--data-dir", data, "--json"]
        if let environment { process.environment = environment }
        process.standardOutput = FileHandle.nullDevice
        // Kept, so a run that ends too early says why.
        _ = FileManager.default.createFile(atPath: corpus + ".stderr", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: corpus + ".stderr")
        try process.run()
        return process
    }

    /// SIGKILLs `process` as soon as `probe` returns a value, polled every
    /// `interval` from a thread of its own, and returns that value; nil when
    /// the process ended or `seconds` passed first. A thread, not a task:
    /// under the full suite's load the test process's cooperative pool can
    /// leave a task unscheduled for seconds, long enough for the moment to
    /// pass unseen (CI once missed a whole 27 MB extraction that way).
    static func killProcess<Value: Sendable>(
        _ process: Process, within seconds: TimeInterval, every interval: TimeInterval, when probe: @escaping @Sendable () -> Value?
    ) async -> Value? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(seconds)
                while process.isRunning && Date() < deadline {
                    if let value = probe() {
                        Foundation.kill(process.processIdentifier, SIGKILL)
                        continuation.resume(returning: value)
                        return
                    }
                    Thread.sleep(forTimeInterval: interval)
                }
                continuation.resume(returning: nil)
            }
        }
    }

    /// SIGKILLs `process` once `threshold` documents are indexed or deleted,
    /// read from the store every 20 ms (opened once, then only read);
    /// returns whether the process was still running when killed.
    static func killWhenDone(_ process: Process, threshold: Int, data: String, within seconds: TimeInterval) async -> Bool {
        let store = Mutex<DatabaseQueue?>(nil)
        return await killProcess(process, within: seconds, every: 0.02) { () -> Bool? in
            store.withLock { store in
                if store == nil, FileManager.default.fileExists(atPath: data + "/sluice.sqlite") {
                    store = try? DatabaseQueue(path: data + "/sluice.sqlite")
                }
                let done = try? store?.read { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM documents WHERE status IN ('indexed', 'deleted')")
                }
                guard let done = done ?? nil, done >= threshold else { return nil }
                return true
            }
        } ?? false
    }

    /// Documents done so far, read from the store by another process, as
    /// `sluice status` would. The store is opened once, on the first call
    /// that finds it, then only read: opening it on every poll was slow
    /// enough under CI's load for a run to finish unseen.
    final class Progress: @unchecked Sendable {
        let data: String
        private var runtime: SluiceRuntime?
        init(_ data: String) { self.data = data }

        func documentsDone() async -> Int {
            do {
                if runtime == nil {
                    guard FileManager.default.fileExists(atPath: data + "/sluice.sqlite") else { return 0 }
                    var configuration = Configuration()
                    configuration.dataDirectory = data
                    runtime = try SluiceRuntime(configuration: configuration)
                }
                let tenants = try await runtime?.store.tenantSummaries() ?? []
                return tenants.reduce(0) { $0 + $1.indexed + $1.deleted }
            } catch {
                FileHandle.standardError.write(Data("could not read the store while polling: \(error)\n".utf8))
                return 0
            }
        }
    }

    /// The seed's "process interruption mid-batch" scenario.
    @Test func processInterruptedMidBatchThenRestartConverges() async throws {
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
            // One worker, one document a batch (a synced commit each): slow enough that the poll sees the
            // threshold before the run ends, however loaded the machine is (runs with batches of 50, then
            // of 5, finished before the poll, which opens the store each time, saw the threshold).
            let process = try start(binary, corpus: corpus, data: data, environment: ["SLUICE_CONCURRENCY": "1", "SLUICE_BATCH_SIZE": "1"])
            // Watched from a thread of its own: the test process's cooperative pool can stall for
            // seconds while other tests run, long enough for the run to finish unseen.
            let killed = await Self.killWhenDone(process, threshold: threshold, data: data, within: 300)
            #expect(
                killed,
                "round \(round): the run must still be working when it is killed; it said: \((try? String(contentsOfFile: corpus + ".stderr", encoding: .utf8)) ?? "")")
            _ = try await process.exited()
            #expect(process.terminationReason == .uncaughtSignal)
            // Files change while Sluice is down.
            for index in stride(from: round, to: 2500, by: 250) { try generator.modify(index, under: corpus, round: round) }
            try FileManager.default.removeItem(atPath: corpus + "/" + generator.relativePath(round * 7))
        }

        let final = try start(binary, corpus: corpus, data: data)
        #expect(try await final.exited().status == 0)

        var configuration = Configuration()
        configuration.dataDirectory = data
        let runtime = try SluiceRuntime(configuration: configuration)
        let stored = try await runtime.store.storedChunkSignatures()
        #expect(stored.rows == stored.signatures.count, "no duplicate chunks")
        let expected = try expectedSignatures(corpus)
        #expect(stored.signatures == expected, "missing \(expected.subtracting(stored.signatures).count), orphaned \(stored.signatures.subtracting(expected).count)")
        #expect(try await runtime.store.depth() == QueueDepth(), "nothing left in the queue")
    }

    /// The issue's reproduction: `sluice run` killed three times while it
    /// extracts one large document. Only that document may become a dead
    /// letter ("lease expired 3 times"); the ten others of its batch are
    /// indexed (before, all eleven were dead letters).
    @Test func killsMidExtractionBlameOnlyTheDocumentBeingExtracted() async throws {
        let binary = try Self.binary()
        let work = try TemporaryDirectory("sluice-blame")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<10 { try work.write("corpus/acme/small\(index).md", "# Small \(index)\n\nwords \(index).\n") }
        let paragraph = (0..<200).map { "word\($0)" }.joined(separator: " ") + ".\n\n"
        try work.write("corpus/acme/large.md", String(repeating: paragraph, count: 20_000))  // about 27 MB
        let key = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("large.md"))
        var configuration = Configuration()
        configuration.dataDirectory = data

        // Kill it while the large document is the one being extracted: a thread polls only the
        // `inflight` file (one pread) and kills the moment a new mark appears; which document the
        // mark was for is checked after the kill. A kill that caught a small document blames that one once,
        // below the limit, and does not count as a round.
        var previous: Set<String> = []
        var rounds = 0
        var attempts = 0
        while rounds < QueueEntry.maxLeaseExpiries && attempts < 3 * QueueEntry.maxLeaseExpiries {
            attempts += 1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["run", corpus, "--data-dir", data, "--quiet", "--json"]
            process.environment = ["SLUICE_CONCURRENCY": "1", "SLUICE_BATCH_SIZE": "20"]
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: work.path + "/stderr", contents: nil)
            process.standardError = FileHandle(forWritingAtPath: work.path + "/stderr")
            try process.run()
            let record = Mutex<InflightRecord?>(nil)
            let seen = previous
            let caught = await Self.killProcess(process, within: 120, every: 0.0002) { () -> Set<String>? in
                record.withLock { record in
                    if record == nil, FileManager.default.fileExists(atPath: data + "/inflight") {
                        record = try? InflightRecord(dataDirectory: data)
                    }
                    guard let marked = record?.marked(), !marked.isEmpty, marked != seen else { return nil }
                    return marked
                }
            }
            let status = try await process.exited().status
            #expect(
                caught != nil,
                "attempt \(attempts): the run was not seen extracting a document; it ended with \(status) and said: \((try? String(contentsOfFile: work.path + "/stderr", encoding: .utf8)) ?? "")")
            let marked = caught ?? []
            previous = marked
            let token = try await SluiceRuntime(configuration: configuration).store.entry(key)?.hold?.token
            if let token, marked == [token] { rounds += 1 }
        }
        #expect(rounds == QueueEntry.maxLeaseExpiries, "the run was killed \(rounds) times while extracting large.md")

        let final = Process()
        final.executableURL = URL(fileURLWithPath: binary)
        final.arguments = ["run", corpus, "--data-dir", data, "--quiet", "--json"]
        final.standardOutput = FileHandle.nullDevice
        final.standardError = FileHandle.nullDevice
        try final.run()
        #expect(try await final.exited().status == 1, "exit 1: a dead letter")
        let runtime = try SluiceRuntime(configuration: configuration)
        let letters = try await runtime.store.deadLetters(tenant: nil)
        #expect(letters.map(\.key) == [key])
        #expect(letters.first?.reason.contains("expired 3 times") == true)
        #expect(try await runtime.store.tenantSummaries().first?.indexed == 10)
    }

    /// Two `sluice run` processes on one data directory: the second is refused
    /// with a message saying why, and the first finishes its work undisturbed.
    @Test func aSecondRunProcessOnTheSameDataDirectoryIsRefused() async throws {
        let binary = try Self.binary()
        let work = try TemporaryDirectory("sluice-two-runs")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        var generator = CorpusGenerator(files: 1500, tenants: 2, seed: 5)
        generator.medianBytes = 1500
        try generator.write(to: corpus)
        // One worker, small batches: still working when the second starts, however loaded the machine is.
        let first = try start(binary, corpus: corpus, data: data, environment: ["SLUICE_CONCURRENCY": "1", "SLUICE_BATCH_SIZE": "5"])
        let progress = Progress(data)
        #expect(try await eventually(within: .seconds(120), every: .milliseconds(10)) {
            await progress.documentsDone() > 0 || !first.isRunning
        })
        #expect(first.isRunning, "the first run is still working when the second starts")
        let second = try start(binary, corpus: corpus, data: data)
        _ = try await second.exited()
        let message = (try? String(contentsOfFile: corpus + ".stderr", encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 2, "\(message)")
        #expect(message.contains("already running workers on"), "\(message)")
        #expect(try await first.exited().status == 0)
        var configuration = Configuration()
        configuration.dataDirectory = data
        let runtime = try SluiceRuntime(configuration: configuration)
        #expect(try await runtime.store.storedChunkSignatures().signatures == (try expectedSignatures(corpus)))
    }

    /// Durable before acknowledged (DESIGN.md invariant 1), across SIGKILL:
    /// `sluice serve` is killed right after answering 202 to the last of 40
    /// publishes, before it could index them; restarted, it indexes every one.
    @Test func serveKilledRightAfterA202LosesNothingItAcknowledged() async throws {
        let binary = try Self.binary()
        let work = try TemporaryDirectory("sluice-serve-kill")
        defer { work.remove() }
        let data = work.path + "/data"
        // Held back for 20 s (the ready time is stored with each change): nothing is indexed
        // before the kill, so every document must come from the store. (5 s was once too
        // short for the 40 requests on a loaded machine.) Port 0: a port picked at random
        // was once taken, and serve never answered.
        let first = try ServeProcess(in: work, environment: ["SLUICE_SETTLE_MS": "20000", "SLUICE_SETTLE_MAX_MS": "20000"])
        let port = try #require(try await first.port(), "serve did not start: \(first.log)")
        func request(_ method: String, _ path: String, _ body: Data? = nil) async throws -> (Int, Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }
        var acknowledged: [String] = []
        for index in 0..<40 {
            let body = try JSONSerialization.data(withJSONObject: [
                "meta": ["tenant": "acme", "docId": "doc\(index).md"], "content": "# Doc \(index)\n\nwords of document \(index).",
            ])
            let (status, _) = try await request("POST", "/v1/ingest/publish", body)
            if status == 202 { acknowledged.append("doc\(index).md") }
        }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.process.exited()
        #expect(acknowledged.count == 40)

        var configuration = Configuration()
        configuration.dataDirectory = data
        configuration.settleWindow = .zero
        let runtime = try SluiceRuntime(configuration: configuration)
        #expect(try await runtime.store.tenantSummaries().first?.indexed ?? 0 == 0, "killed before indexing anything")
        // Restarted: once their settle window is over, the queued changes are indexed from the store.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: binary)
        second.arguments = ["run", work.path + "/empty", "--data-dir", data, "--quiet"]
        try FileManager.default.createDirectory(atPath: work.path + "/empty", withIntermediateDirectories: true)
        second.standardOutput = FileHandle.nullDevice
        second.standardError = FileHandle.nullDevice
        try second.run()
        #expect(try await second.exited().status == 0)
        for docId in acknowledged {
            let state = try await runtime.store.documentState(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID(docId)))
            #expect(state?.status == .indexed, "\(docId) was acknowledged, so it is indexed")
        }
    }

    func expectedSignatures(_ corpus: String) throws -> Set<ChunkSignature> {
        try ExpectedIndex.signatures(of: corpus, chunker: MarkdownChunker())
    }
}
