import Foundation
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

    public init(storeURL: String, executable: String, documents: Int, workersPerProcess: Int = 4) {
        self.storeURL = storeURL
        self.executable = executable
        self.documents = documents
        self.workersPerProcess = workersPerProcess
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
        var location = try PostgresLocation(url: storeURL)
        location.schema = "bench_\(ProcessInfo.processInfo.processIdentifier)_\(processes)_\(Int.random(in: 0..<1_000_000))"
        let store = try await PostgresStore.open(location, options: PostgresStore.Options(maximumConnections: 4))
        defer { Task { await store.close() } }
        note("queue alone, \(processes) process(es): queueing \(documents) documents")
        let enqueueStart = ContinuousClock.now
        var changes: [Change] = []
        for index in 0..<documents {
            let key = DocumentKey(tenant: try TenantID("tenant\(index % 10)"), docId: try DocumentID("doc\(index).md"))
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
        var url = storeURL
        url += (url.contains("?") ? "&" : "?") + "schema=" + location.schema
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
        let summaries = try await store.tenantSummaries()
        let indexed = summaries.reduce(0) { $0 + $1.indexed }
        let pending = summaries.reduce(0) { $0 + $1.pending }
        var processings = 0
        for first in stride(from: 0, to: documents, by: 1000) {
            let keys = try (first..<min(documents, first + 1000)).map { index in
                DocumentKey(tenant: try TenantID("tenant\(index % 10)"), docId: try DocumentID("doc\(index).md"))
            }
            processings += try await store.documentStates(keys).values.reduce(0) { $0 + $1.processings }
        }
        let correct = failedChildren == 0 && indexed == documents && pending == 0 && processings == documents
        return Round(
            processes: processes, documents: documents, enqueueSeconds: enqueueSeconds, seconds: seconds,
            documentsPerSecond: Double(documents) / seconds, correct: correct,
            detail: "\(indexed) indexed, \(processings) completions, \(pending) pending, \(failedChildren) processes failed")
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
