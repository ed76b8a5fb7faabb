import Foundation
import SluiceConnectors
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// The embedded search keeps tenants' vectors in memory; its results are the
/// exact search's, and never stale: a change by this store or by another
/// process's store on the same file is seen by the very next search.
@Suite struct SearchCacheTests {
    let embedder = HashingEmbedder(dimension: 64)
    static let words = ["river", "stone", "harbor", "ledger", "orbit", "violet", "canyon", "signal", "meadow", "copper", "lantern", "glacier"]

    func text(_ seed: Int, words count: Int = 12) -> String {
        (0..<count).map { Self.words[($0 * 7 + seed * 13 + $0 * $0 * seed) % Self.words.count] + "\(seed % 97)" }.joined(separator: " ")
    }

    /// Writes documents `indexes` of `tenant` (chunks of `text`), as a worker would.
    func write(_ store: SQLiteStore, tenant: String, _ indexes: [Int], texts: (Int) -> [String]) async throws {
        let changes = try indexes.map { index in
            var meta = DocumentMeta(tenant: tenant, docId: "doc\(index).md")
            meta.attributes = ["group": index % 3 == 0 ? "a" : "b"]
            return Change(
                key: DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID("doc\(index).md")), kind: .upsert, origin: .api(meta),
                contentHash: ContentHash.of(texts(index).joined()), priority: .normal, activity: .settled)
        }
        try await store.enqueue(changes)
        let leases = try await store.lease(limit: changes.count, duration: .seconds(60))
        #expect(leases.count == changes.count)
        let outcomes = try await store.complete(leases.map { lease in
            let index = Int(lease.key.docId.rawValue.dropFirst(3).prefix { $0 != "." })!
            let chunks = texts(index).enumerated().map { ordinal, text in
                IndexedChunk(ordinal: ordinal, text: text, textHash: ContentHash.of(text), vector: embedder.vector(for: text))
            }
            return Completion(lease: lease, result: .indexed(IndexedDocument(
                contentHash: lease.contentHash!, title: nil, chunks: chunks, modelKey: embedder.modelKey, dimension: embedder.dimension,
                settingsFingerprint: "test")))
        })
        #expect(outcomes.allSatisfy { $0 == .applied })
    }

    func delete(_ store: SQLiteStore, tenant: String, _ index: Int) async throws {
        let key = DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID("doc\(index).md"))
        try await store.enqueue([Change(key: key, kind: .delete, origin: .api(DocumentMeta(tenant: tenant, docId: key.docId.rawValue)), priority: .normal, activity: .settled)])
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(60)).first)
        #expect(try await store.complete([Completion(lease: lease, result: .deleted)]) == [.applied])
    }

    func search(_ store: SQLiteStore, _ tenant: String, _ query: String, attributes: [String: String] = [:], exact: Bool = false) async throws -> [SearchHit] {
        let vector = embedder.vector(for: query)
        return exact
            ? try await store.exactSearch(tenant: try TenantID(tenant), vector: vector, modelKey: embedder.modelKey, k: 10, attributes: attributes)
            : try await store.search(tenant: try TenantID(tenant), vector: vector, modelKey: embedder.modelKey, k: 10, attributes: attributes)
    }

    func ids(_ hits: [SearchHit]) -> [String] { hits.map { "\($0.docId)#\($0.ordinal)" } }

    /// Whether two result lists agree: the same scores in the same order, and
    /// the same chunks above the last score (chunks tied with the last one, as
    /// identical chunks are, may be any of them).
    func same(_ a: [SearchHit], _ b: [SearchHit]) -> Bool {
        guard a.count == b.count, zip(a, b).allSatisfy({ abs($0.score - $1.score) < 1e-5 }) else { return false }
        let last = b.last?.score ?? 0
        return Set(ids(a.filter { $0.score > last + 1e-5 })) == Set(ids(b.filter { $0.score > last + 1e-5 }))
    }

    @Test func theSearchFindsWhatTheExactScanFinds() async throws {
        let directory = try TemporaryDirectory("sluice-search")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path + "/sluice.sqlite", options: .init(settle: SettlePolicy(window: .zero, maximum: .zero)))
        try await write(store, tenant: "acme", Array(0..<120)) { index in (0..<4).map { text(index * 4 + $0) } }
        try await write(store, tenant: "other", Array(0..<20)) { index in [text(index)] }
        for seed in [3, 40, 1200] {
            let query = text(seed, words: 4)
            let (fast, slow) = (try await search(store, "acme", query), try await search(store, "acme", query, exact: true))
            #expect(same(fast, slow), "query \(seed): \(fast.map { "\($0.docId)#\($0.ordinal) \($0.score)" }) against \(slow.map { "\($0.docId)#\($0.ordinal) \($0.score)" })")
            let filtered = try await search(store, "acme", query, attributes: ["group": "a"])
            #expect(same(filtered, try await search(store, "acme", query, attributes: ["group": "a"], exact: true)))
            #expect(filtered.count == 10)
            #expect(filtered.allSatisfy { Int($0.docId.dropFirst(3).prefix { $0 != "." })! % 3 == 0 })
        }
        #expect(try await search(store, "nobody", "river").isEmpty)
    }

    @Test func aChangeIsSeenByTheNextSearchWhoeverMadeIt() async throws {
        let directory = try TemporaryDirectory("sluice-search")
        defer { directory.remove() }
        let path = directory.path + "/sluice.sqlite"
        let options = SQLiteStore.Options(settle: SettlePolicy(window: .zero, maximum: .zero))
        let store = try SQLiteStore(path: path, options: options)
        try await write(store, tenant: "acme", Array(0..<60)) { index in [text(index)] }
        let query = "violet lantern glacier copper"
        _ = try await search(store, "acme", query)  // builds the tenant's vectors in memory

        // This store writes a document that matches best: the next search finds it first.
        try await write(store, tenant: "acme", [500]) { _ in [query] }
        #expect(try await search(store, "acme", query).first?.docId == "doc500.md")
        try await delete(store, tenant: "acme", 500)
        #expect(!(try await search(store, "acme", query)).contains { $0.docId == "doc500.md" })

        // Another process (a second store on the same file) writes one: this store's next search finds it too.
        #expect(store.searchIndexBuilds == 1, "this store's own changes were applied in memory")
        let other = try SQLiteStore(path: path, options: options)
        try await write(other, tenant: "acme", [501]) { _ in [query] }
        #expect(try await search(store, "acme", query).first?.docId == "doc501.md")
        #expect(store.searchIndexBuilds == 2, "another process's change: built again")
        try await delete(other, tenant: "acme", 501)
        #expect(!(try await search(store, "acme", query)).contains { $0.docId == "doc501.md" })
    }

    /// This process's changes are applied to the kept vectors (no build from
    /// the file); through new, changed, shortened and deleted documents the
    /// search still finds what the exact scan finds.
    @Test func thisProcesssChangesAreAppliedWithoutReadingTheTenantAgain() async throws {
        let directory = try TemporaryDirectory("sluice-search")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.path + "/sluice.sqlite", options: .init(settle: SettlePolicy(window: .zero, maximum: .zero)))
        try await write(store, tenant: "acme", Array(0..<100)) { index in (0..<3).map { text(index * 3 + $0) } }
        let queries = [text(5, words: 4), text(301, words: 4), "violet lantern glacier copper"]
        _ = try await search(store, "acme", queries[0])
        #expect(store.searchIndexBuilds == 1)
        for round in 0..<6 {
            switch round % 3 {
            case 0:  // new documents, one matching the last query best
                try await write(store, tenant: "acme", [1000 + round, 2000 + round]) { index in index >= 2000 ? [queries[2]] : [text(index), text(index + 1)] }
            case 1:  // documents changed, one shorter than before
                try await write(store, tenant: "acme", [10 + round, 20 + round]) { index in index == 10 + round ? [text(index + 500)] : (0..<5).map { text(index + 700 + $0) } }
            default:  // deleted
                try await delete(store, tenant: "acme", 30 + round)
            }
            for query in queries {
                #expect(same(try await search(store, "acme", query), try await search(store, "acme", query, exact: true)), "round \(round)")
            }
            #expect(try await search(store, "acme", queries[0], attributes: ["group": "a"]).count == 10)
        }
        #expect(Set(try await search(store, "acme", queries[2]).prefix(2).map(\.docId)) == ["doc2000.md", "doc2003.md"])
        #expect(store.searchIndexBuilds == 1, "every change was applied in memory")
        try await delete(store, tenant: "acme", 2003)
        #expect(!(try await search(store, "acme", queries[2])).contains { $0.docId == "doc2003.md" })
        #expect(store.searchIndexBuilds == 1)

        // Fifty documents that match a query best, deleted: their vectors leave the scan (left in,
        // they would fill its forty candidates with chunks that are gone, and no hit would come back).
        let crowd = "crowded harbor ledger copper"
        try await write(store, tenant: "acme", Array(3000..<3050)) { _ in [crowd] }
        #expect(try await search(store, "acme", crowd).allSatisfy { $0.docId.hasPrefix("doc30") })
        for index in 3000..<3050 { try await delete(store, tenant: "acme", index) }
        let after = try await search(store, "acme", crowd)
        let exact = try await search(store, "acme", crowd, exact: true)
        #expect(after.count == 10 && same(after, exact))
        #expect(store.searchIndexBuilds == 1)
    }

    @Test func aTenantLargerThanTheMemoryBudgetIsStillSearched() async throws {
        let directory = try TemporaryDirectory("sluice-search")
        defer { directory.remove() }
        let store = try SQLiteStore(
            path: directory.path + "/sluice.sqlite", options: .init(settle: SettlePolicy(window: .zero, maximum: .zero), searchMemory: 1024))
        try await write(store, tenant: "acme", Array(0..<100)) { index in [text(index)] }
        let query = text(42, words: 4)
        for _ in 0..<2 {
            #expect(same(try await search(store, "acme", query), try await search(store, "acme", query, exact: true)))
        }
        #expect(store.searchMemoryBytes == 0, "nothing kept past the budget")
        #expect(store.searchIndexBuilds == 0, "nor built for one search: the file is scanned")
    }
}
