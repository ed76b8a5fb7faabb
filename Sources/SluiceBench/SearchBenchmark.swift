import Foundation
import SluiceConnectors
import SluiceCore
import SluiceSQLite

/// `sluice bench --search`: the embedded index's search alone, at a size
/// given in chunks, in one tenant. It writes `chunks` chunks (documents of
/// 10, their text random words of the bench's vocabulary, their vectors the
/// built-in hashing embedder's) through the store's real path (queued,
/// leased, completed), then times many queries of four words against the
/// store's `VectorIndex` (the query's embedding excluded), with and without
/// an attribute filter. It checks what it measured: recall@10 against an
/// exact scan of every vector, every filtered hit inside the filter, a
/// document written after the queries found by the very next search, and
/// gone from it once deleted.
public struct SearchBenchmark: Sendable {
    public let chunks: Int
    public let queries: Int
    public let workDirectory: String
    /// Queries whose exact top 10 is computed for recall (an exact scan each).
    public var recallQueries = 20
    static let chunksPerDocument = 10
    static let groups = 8
    let embedder = HashingEmbedder(dimension: 384)
    let tenant = try! TenantID("bench")

    public init(chunks: Int, queries: Int, workDirectory: String) {
        self.chunks = chunks
        self.queries = queries
        self.workDirectory = workDirectory
    }

    public struct Report: Sendable, Codable {
        public var chunks: Int
        public var documents: Int
        public var dimension: Int
        public var writeSeconds: Double
        public var storeMegabytes: Double
        /// The first query, which builds whatever the index keeps in memory.
        public var firstMilliseconds: Double
        public var queries: Int
        public var medianMilliseconds: Double
        public var p99Milliseconds: Double
        public var maxMilliseconds: Double
        public var filteredMedianMilliseconds: Double
        /// The searches right after a document was written, and after it was deleted (the slower of the two).
        public var afterChangeMilliseconds: Double
        public var recallAt10: Double
        /// Resident memory the searches added to the process (the index's memory, if it keeps one, and SQLite's page cache).
        public var searchMemoryMegabytes: Double
        /// What the store says its in-memory search vectors hold.
        public var indexMegabytes: Double
        public var checks: [Check]

        public var isCorrect: Bool { checks.allSatisfy(\.passed) }
    }

    public struct Check: Sendable, Codable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public func run(note: @Sendable (String) -> Void) async throws -> Report {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let path = workDirectory + "/search.sqlite"
        let store = try SQLiteStore(path: path, options: SQLiteStore.Options(settle: SettlePolicy(window: .zero, maximum: .zero), durability: .normal))
        let documents = max(1, chunks / Self.chunksPerDocument)
        note("search: writing \(documents * Self.chunksPerDocument) chunks in \(documents) documents")
        let writing = ContinuousClock.now
        var random = SplitMix64(seed: 17)
        for first in stride(from: 0, to: documents, by: 1000) {
            let range = first..<min(documents, first + 1000)
            try await write(range.map { index in (index, (0..<Self.chunksPerDocument).map { _ in Self.sentence(words: 60, &random) }) }, to: store)
            if first % 50_000 == 0 && first > 0 { note("search: \(first) documents written") }
        }
        let writeSeconds = (ContinuousClock.now - writing).seconds
        let storeBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        var queryRandom = SplitMix64(seed: 99)
        let texts = (0..<max(1, queries)).map { _ in Self.sentence(words: 4, &queryRandom) }
        let vectors = texts.map(embedder.vector(for:))
        let memoryBefore = Self.residentBytes()
        note("search: \(vectors.count) queries")
        var started = ContinuousClock.now
        let firstHits = try await store.search(tenant: tenant, vector: vectors[0], modelKey: embedder.modelKey, k: 10)
        let first = (ContinuousClock.now - started).seconds * 1000
        var timings: [Double] = []
        var found: [[SearchHit]] = [firstHits]
        for vector in vectors {
            started = ContinuousClock.now
            let hits = try await store.search(tenant: tenant, vector: vector, modelKey: embedder.modelKey, k: 10)
            timings.append((ContinuousClock.now - started).seconds * 1000)
            if found.count < recallQueries + 1 { found.append(hits) }
        }
        let memoryAfter = Self.residentBytes()
        let indexBytes = store.searchMemoryBytes
        timings.sort()

        var checks: [Check] = []
        note("search: recall against an exact scan, \(min(recallQueries, vectors.count)) queries")
        var matched = 0
        var expected = 0
        func id(_ hit: SearchHit) -> String { "\(hit.docId)#\(hit.ordinal)" }
        for (index, vector) in vectors.prefix(recallQueries).enumerated() {
            let exact = try await store.exactSearch(tenant: tenant, vector: vector, modelKey: embedder.modelKey, k: 10)
            let exactIDs = Set(exact.map(id))
            let hits = found[index + 1]
            // A tie with the exact 10th score may be broken either way: such a hit counts too.
            let tenth = exact.last?.score ?? -.infinity
            let tied = hits.filter { !exactIDs.contains(id($0)) && $0.score >= tenth - 1e-5 }.count
            expected += exact.count
            matched += min(exact.count, hits.filter { exactIDs.contains(id($0)) }.count + tied)
        }
        let recall = expected == 0 ? 1 : Double(matched) / Double(expected)

        note("search: filtered by an attribute")
        var filtered: [Double] = []
        var outside = 0
        for vector in vectors.prefix(20) {
            started = ContinuousClock.now
            let hits = try await store.search(tenant: tenant, vector: vector, modelKey: embedder.modelKey, k: 10, attributes: ["group": "g3"])
            filtered.append((ContinuousClock.now - started).seconds * 1000)
            outside += hits.filter { Int($0.docId.dropFirst(3).prefix { $0 != "." }).map { $0 % Self.groups != 3 } ?? true }.count
        }
        filtered.sort()
        checks.append(Check(name: "every filtered hit is in the filter", passed: outside == 0, detail: "\(outside) hits outside group g3"))

        // Freshness: a document written now is the next search's first hit, and gone once deleted.
        note("search: a document written after the queries")
        let fresh = documents
        try await write([(fresh, [texts[0] + " " + texts[0]])], to: store)
        started = ContinuousClock.now
        let afterWrite = try await store.search(tenant: tenant, vector: vectors[0], modelKey: embedder.modelKey, k: 10)
        var afterChange = (ContinuousClock.now - started).seconds * 1000
        let freshID = Self.docId(fresh)
        checks.append(Check(
            name: "a document written is found by the next search", passed: afterWrite.first?.docId == freshID,
            detail: "first hit \(afterWrite.first.map { "\($0.docId) (\($0.score))" } ?? "none")"))
        try await delete(fresh, from: store)
        started = ContinuousClock.now
        let afterDelete = try await store.search(tenant: tenant, vector: vectors[0], modelKey: embedder.modelKey, k: 10)
        afterChange = max(afterChange, (ContinuousClock.now - started).seconds * 1000)
        checks.append(Check(
            name: "a document deleted is gone from the next search", passed: !afterDelete.contains { $0.docId == freshID },
            detail: "\(afterDelete.filter { $0.docId == freshID }.count) hits of it"))
        checks.append(Check(name: "recall@10 against an exact scan is at least 0.95", passed: recall >= 0.95, detail: String(format: "%.3f", recall)))

        func percentile(_ values: [Double], _ p: Double) -> Double { values[min(values.count - 1, Int(Double(values.count) * p))] }
        return Report(
            chunks: documents * Self.chunksPerDocument, documents: documents, dimension: embedder.dimension, writeSeconds: writeSeconds,
            storeMegabytes: Double(storeBytes) / 1_048_576, firstMilliseconds: first, queries: timings.count,
            medianMilliseconds: percentile(timings, 0.5), p99Milliseconds: percentile(timings, 0.99), maxMilliseconds: timings.last ?? 0,
            filteredMedianMilliseconds: percentile(filtered, 0.5), afterChangeMilliseconds: afterChange, recallAt10: recall,
            searchMemoryMegabytes: Double(max(0, memoryAfter - memoryBefore)) / 1_048_576, indexMegabytes: Double(indexBytes) / 1_048_576,
            checks: checks)
    }

    /// Documents `index` with the texts of their chunks, written as a worker would: queued, leased, completed.
    private func write(_ batch: [(index: Int, texts: [String])], to store: SQLiteStore) async throws {
        let changes = try batch.map { document in
            let key = DocumentKey(tenant: tenant, docId: try DocumentID(Self.docId(document.index)))
            var meta = DocumentMeta(tenant: tenant.rawValue, docId: key.docId.rawValue)
            meta.attributes = ["group": "g\(document.index % Self.groups)"]
            return Change(
                key: key, kind: .upsert, origin: .api(meta), contentHash: ContentHash.of(document.texts.joined()), priority: .normal,
                activity: .settled)
        }
        try await store.enqueue(changes)
        let texts = Dictionary(uniqueKeysWithValues: zip(changes.map(\.key), batch.map(\.texts)))
        var leased = 0
        while leased < changes.count {
            let leases = try await store.lease(limit: changes.count - leased, duration: .seconds(300))
            guard !leases.isEmpty else { throw SluiceError(.internal, "the bench's documents could not be leased") }
            leased += leases.count
            let completions = leases.map { lease in
                let chunks = (texts[lease.key] ?? []).enumerated().map { ordinal, text in
                    IndexedChunk(ordinal: ordinal, text: text, textHash: ContentHash.of(text), vector: embedder.vector(for: text))
                }
                return Completion(lease: lease, result: .indexed(IndexedDocument(
                    contentHash: lease.contentHash ?? ContentHash.of(""), title: nil, chunks: chunks, modelKey: embedder.modelKey,
                    dimension: embedder.dimension, settingsFingerprint: "bench")))
            }
            let outcomes = try await store.complete(completions)
            guard outcomes.allSatisfy({ $0 == .applied }) else { throw SluiceError(.internal, "the bench's documents were not all applied: \(outcomes)") }
        }
    }

    private func delete(_ index: Int, from store: SQLiteStore) async throws {
        let key = DocumentKey(tenant: tenant, docId: try DocumentID(Self.docId(index)))
        try await store.enqueue([Change(key: key, kind: .delete, origin: .api(DocumentMeta(tenant: tenant.rawValue, docId: key.docId.rawValue)), priority: .normal, activity: .settled)])
        let leases = try await store.lease(limit: 1, duration: .seconds(300))
        guard let lease = leases.first else { throw SluiceError(.internal, "the bench's deletion could not be leased") }
        _ = try await store.complete([Completion(lease: lease, result: .deleted)])
    }

    static func docId(_ index: Int) -> String { "doc\(index).md" }

    static func sentence(words: Int, _ random: inout SplitMix64) -> String {
        (0..<words).map { _ in
            String(decoding: CorpusGenerator.vocabulary[Int(random.next() % UInt64(CorpusGenerator.vocabulary.count))], as: UTF8.self)
        }.joined(separator: " ")
    }

    /// This process's resident memory, from /proc/self/statm (0 where it is not there).
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
