import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PostgresNIO
import SluiceCore
import SluicePostgres

/// `sluice bench --store postgres://…`: the queue of a shared store alone,
/// with nothing between leasing and completing (no reading, extracting or
/// embedding), in 1, 2 and 4 worker processes. Each round queues its
/// documents in a schema of its own, starts the processes
/// (`sluice bench --store URL --queue-worker`), and times them from start to
/// an empty queue; then checks that every document was completed once.
public struct StoreBenchmark: Sendable {
    public let storeURL: String
    public let executable: String
    public let documents: Int
    /// Workers (lease-complete loops) in each process.
    public let workersPerProcess: Int
    public static let batchSize = 100

    public let workDirectory: String

    public init(storeURL: String, executable: String, workDirectory: String, documents: Int, workersPerProcess: Int = 4) {
        self.storeURL = storeURL
        self.executable = executable
        self.workDirectory = workDirectory
        self.documents = documents
        self.workersPerProcess = workersPerProcess
    }

    /// Runs a round on a store in a new, empty schema (`body` gets the store
    /// and its URL), then closes the store and drops the schema with all the
    /// round wrote: rounds left behind kept autovacuum visiting their tables
    /// during later rounds (411 schemas had piled up in one database).
    func withFreshStore<T: Sendable>(
        _ name: String, options: PostgresStore.Options, _ body: (PostgresStore, String) async throws -> T
    ) async throws -> T {
        var location = try PostgresLocation(url: storeURL)
        location.schema = "bench_\(ProcessInfo.processInfo.processIdentifier)_\(name)_\(Int.random(in: 0..<1_000_000))"
        let url = storeURL + (storeURL.contains("?") ? "&" : "?") + "schema=" + location.schema
        let store = try await PostgresStore.open(location, options: options)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(store, url))
        } catch {
            result = .failure(error)
        }
        await store.close()
        try await Self.drop(location)
        return try result.get()
    }

    /// Drops `location`'s schema and everything in it.
    private static func drop(_ location: PostgresLocation) async throws {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: Logger(label: "sluice.bench"))
        // The name is the bench's own (letters, digits, underscores), quoted all the same.
        try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(location.schema)\" CASCADE"), logger: Logger(label: "sluice.bench"))
        try await connection.close()
    }

    public struct Round: Sendable, Codable {
        public var processes: Int
        public var documents: Int
        public var enqueueSeconds: Double
        public var seconds: Double
        public var documentsPerSecond: Double
        /// Every document completed once, nothing left queued.
        public var correct: Bool
        public var detail: String
    }

    public func round(processes: Int, note: (String) -> Void) async throws -> Round {
        return try await withFreshStore("queue\(processes)", options: PostgresStore.Options(maximumConnections: 4)) { store, url in
            note("queue alone, \(processes) process(es): queueing \(documents) documents")
            let enqueueStart = ContinuousClock.now
            var changes: [Change] = []
            for index in 0..<documents {
                let key = try Self.key(index)
                let location = FileLocation(scanRoot: "/bench", tenantDirectory: "/bench/\(key.tenant)", path: "/bench/\(key.tenant)/\(key.docId)")
                changes.append(Change(
                    key: key, kind: .upsert, origin: .file(location), contentHash: ContentHash.of("\(index)"), priority: .normal,
                    activity: .settled))
                if changes.count == 500 || index == documents - 1 {
                    _ = try await store.enqueue(changes)
                    changes.removeAll(keepingCapacity: true)
                }
            }
            let enqueueSeconds = (ContinuousClock.now - enqueueStart).seconds
            note("queue alone, \(processes) process(es): leasing and completing")
            let start = ContinuousClock.now
            var children: [Process] = []
            for _ in 0..<processes {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: executable)
                child.arguments = ["bench", "--store", url, "--queue-worker", "--workers", String(workersPerProcess)]
                child.standardOutput = FileHandle.nullDevice
                try child.run()
                children.append(child)
            }
            var failedChildren = 0
            for child in children {
                if await child.exitStatus() != 0 { failedChildren += 1 }
            }
            let seconds = (ContinuousClock.now - start).seconds
            let (indexed, processings, pending) = try await Self.tally(store, documents: documents)
            let correct = failedChildren == 0 && indexed == documents && pending == 0 && processings == documents
            return Round(
                processes: processes, documents: documents, enqueueSeconds: enqueueSeconds, seconds: seconds,
                documentsPerSecond: Double(documents) / seconds, correct: correct,
                detail: "\(indexed) indexed, \(processings) completions, \(pending) pending, \(failedChildren) processes failed")
        }
    }

    /// A round of the whole pipeline in `sluice serve` processes (each with
    /// SLUICE_CONCURRENCY=2 workers leasing 10 documents at a time), with an
    /// embeddings service that takes 50 ms a request and a webhook sink
    /// (`SlowServices`): the work waits on the remote service, so it should
    /// scale with processes, not cores. The processes start idle; the round
    /// times from publishing `documents` (one transaction per 500) to an empty queue.
    public func pipelineRound(processes: Int, documents: Int, note: @escaping @Sendable (String) -> Void) async throws -> Round {
        return try await withFreshStore(
            "pipeline\(processes)", options: PostgresStore.Options(settle: SettlePolicy(window: .zero, maximum: .zero), maximumConnections: 4)
        ) { store, url in
            let services = SlowServices(delay: .milliseconds(50), dimension: 32)
            let executable = self.executable
            let work = workDirectory
            note("pipeline with a 50 ms embedder, \(processes) process(es): starting them")
            return try await services.serving { root in
                var children: [Process] = []
                defer { for child in children where child.isRunning { child.terminate() } }
                for index in 0..<processes {
                    children.append(try await Self.serve(
                        executable: executable, store: url, dataDirectory: work + "/pipeline\(processes)-\(index)",
                        arguments: [
                            "--embedder", "openai", "--embedder-url", root + "/v1", "--embedder-model", "bench",
                            "--sink", "webhook", "--webhook-url", root + "/hook",
                        ],
                        environment: ["SLUICE_BATCH_SIZE": "10", "SLUICE_CONCURRENCY": "2", "SLUICE_EMBEDDER_API_KEY": "sk-bench"]).process)
                }
                note("pipeline with a 50 ms embedder, \(processes) process(es): publishing \(documents) documents")
                let start = ContinuousClock.now
                var publications: [Publication] = []
                for index in 0..<documents {
                    let key = try Self.key(index)
                    publications.append(try Publication(
                        IncomingDocument(
                            meta: DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue),
                            content: "# Document \(index)\n\nWords about item \(index) of the bench, a paragraph long enough to be a chunk."),
                        priority: .normal, maxContentBytes: 1 << 20))
                    if publications.count == 500 || index == documents - 1 {
                        _ = try await store.publish(publications)
                        publications.removeAll(keepingCapacity: true)
                    }
                }
                try await Self.waitForEmptyQueue(store)
                let seconds = (ContinuousClock.now - start).seconds
                let failed = await Self.stop(children)
                let (indexed, processings, pending) = try await Self.tally(store, documents: documents)
                let correct = failed == 0 && indexed == documents && pending == 0 && processings == documents
                return Round(
                    processes: processes, documents: documents, enqueueSeconds: 0, seconds: seconds,
                    documentsPerSecond: Double(documents) / seconds, correct: correct,
                    detail: "\(indexed) indexed, \(processings) completions, \(pending) pending, \(services.embeddingCalls) embedding calls, \(failed) processes failed")
            }
        }
    }

    /// `sluice serve` on `store` at a port of its own, once its /healthz
    /// answers, with `arguments` and `environment` over the bench's settings;
    /// its log goes to `serve.log` in `dataDirectory`. A process that exits
    /// before answering (its random port taken, say) is tried again on another
    /// port, twice; then, or if none answers within a minute, the bench stops
    /// with the end of its log rather than waiting on a queue nobody works.
    static func serve(
        executable: String, store: String, dataDirectory: String, arguments: [String], environment: [String: String]
    ) async throws -> (process: Process, port: Int) {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let logPath = dataDirectory + "/serve.log"
        for _ in 0..<3 {
            let port = Int.random(in: 46_000..<50_000)
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--store", store, "--data-dir", dataDirectory] + arguments
            child.environment = ["SLUICE_EMBED_DIMENSION": "32", "SLUICE_SETTLE_MS": "0"].merging(environment) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle(forWritingAtPath: logPath)
            try child.run()
            let health = URL(string: "http://127.0.0.1:\(port)/healthz")!
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, child.isRunning {
                if let (_, response) = try? await URLSession.shared.data(from: health), (response as? HTTPURLResponse)?.statusCode == 200 {
                    return (child, port)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            if child.isRunning {
                child.terminate()
                throw SluiceError(.internal, "sluice serve did not answer /healthz within a minute; its log ends: \(tail(logPath))")
            }
        }
        throw SluiceError(.internal, "sluice serve exited before answering, three times; its log ends: \(tail(logPath))")
    }

    /// The last lines of the file at `path`.
    private static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(5).joined(separator: "\n")
    }

    /// Waits until nothing is pending in `store` (polled every 100 ms: a
    /// tighter poll cost the processes measured a noticeable part of a core), or 10 minutes passed.
    static func waitForEmptyQueue(_ store: PostgresStore) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline, try await store.depth().pending > 0 { try await Task.sleep(for: .milliseconds(100)) }
    }

    /// Stops `children` (SIGTERM) and returns how many did not exit cleanly.
    static func stop(_ children: [Process]) async -> Int {
        var failed = 0
        for child in children {
            child.terminate()
            if await child.exitStatus() != 0 { failed += 1 }
        }
        return failed
    }

    /// The bench's documents, spread over ten tenants.
    static func key(_ index: Int) throws -> DocumentKey {
        DocumentKey(tenant: try TenantID("tenant\(index % 10)"), docId: try DocumentID("doc\(index).md"))
    }

    /// Documents completed once each, and documents still pending, in `store`.
    static func tally(_ store: PostgresStore, documents: Int) async throws -> (indexed: Int, processings: Int, pending: Int) {
        let summaries = try await store.tenantSummaries()
        var processings = 0
        for first in stride(from: 0, to: documents, by: 1000) {
            let keys = try (first..<min(documents, first + 1000)).map(Self.key)
            processings += try await store.documentStates(keys).values.reduce(0) { $0 + $1.processings }
        }
        return (summaries.reduce(0) { $0 + $1.indexed }, processings, summaries.reduce(0) { $0 + $1.pending })
    }

    /// A worker process of a round: `workers` loops leasing a batch and
    /// completing each document as indexed (no chunks), until none is pending.
    public static func queueWorker(storeURL: String, workers: Int) async throws {
        let location = try PostgresLocation(url: storeURL)
        let store = try await PostgresStore.open(location, options: PostgresStore.Options(maximumConnections: workers + 1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while true {
                        let leases = try await store.lease(limit: batchSize, duration: .seconds(60))
                        if leases.isEmpty {
                            if try await store.depth().pending == 0 { return }
                            try await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        _ = try await store.complete(leases.map { lease in
                            Completion(lease: lease, result: .indexed(IndexedDocument(
                                contentHash: lease.contentHash!, title: nil, chunks: [], modelKey: "bench/0", dimension: 0,
                                settingsFingerprint: "bench")))
                        })
                    }
                }
            }
            try await group.waitForAll()
        }
        await store.close()
    }
}
