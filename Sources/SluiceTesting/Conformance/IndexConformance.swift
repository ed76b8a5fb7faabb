import SluiceCore
import Testing

/// Document state, the embedded index and the embedding cache: chunk writes
/// fenced by lease and revision, stale chunks removed, search scoped to tenant
/// and model, export, purge, collection, summaries, scan steps, and another
/// handle on the same storage. Run by every backend's tests.
public struct IndexConformance: Sendable {
    let fixture: StoreFixture
    var store: ConformingStore { fixture.store }

    public init(_ factory: StoreFactory) async throws {
        fixture = try await StoreFixture(factory)
    }

    /// The embedded vector index, which a backend that keeps only queue and state has not.
    var index: any VectorIndex {
        get throws { try #require(store as? any VectorIndex, "this backend keeps no vectors; run the search checks on one that does") }
    }

    func vector(_ values: [Float]) -> [Float] {
        var vector = values
        VectorMath.normalize(&vector)
        return vector
    }

    func indexed(_ texts: [String], vectors: [[Float]?], model: String = "test/3") -> DocumentResult {
        let chunks = texts.enumerated().map { ordinal, text in
            IndexedChunk(ordinal: ordinal, text: text, textHash: ContentHash.of(text), vector: vectors[ordinal])
        }
        return .indexed(IndexedDocument(
            contentHash: ContentHash.of(texts.joined()), title: nil, chunks: chunks, modelKey: model, dimension: 3,
            settingsFingerprint: "fp"))
    }

    /// Enqueues, leases and completes one document with `result`.
    func process(_ doc: String, tenant: String = "acme", _ result: DocumentResult) async throws -> CompletionOutcome {
        try await store.enqueue([JobQueueConformance.change(doc, tenant: tenant)])
        fixture.clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        return try await store.complete([Completion(lease: lease, result: result)])[0]
    }

    func storedChunks(_ tenant: String? = nil) async throws -> [ExportedChunk] {
        var all: [ExportedChunk] = []
        try await store.exportChunks(tenant: tenant.map { try TenantID($0) }, batchSize: 2) { all += $0 }
        return all
    }

    public func writesChunksWithDeterministicIdsAndRemovesStaleOnes() async throws {
        #expect(try await process("a.md", indexed(["one", "two", "three"], vectors: [vector([1, 0, 0]), vector([0, 1, 0]), vector([0, 0, 1])])) == .applied)
        #expect(try await process("a.md", indexed(["one", "two!"], vectors: [nil, vector([0, 1, 1])])) == .applied)
        let chunks = try await storedChunks()
        let key = JobQueueConformance.key("a.md")
        #expect(chunks.map(\.text) == ["one", "two!"])
        #expect(Set(chunks.map(\.chunkId)) == Set((0..<2).map {
            ChunkID.make(tenant: key.tenant, docId: key.docId, ordinal: $0).uuidString.lowercased()
        }))
        #expect(try await store.documentState(key)?.chunkCount == 2)
    }

    public func searchIsScopedToTenantAndModel() async throws {
        _ = try await process("a.md", tenant: "acme", indexed(["alpha"], vectors: [vector([1, 0, 0])]))
        _ = try await process("b.md", tenant: "globex", indexed(["beta"], vectors: [vector([1, 0.1, 0])]))
        _ = try await process("c.md", tenant: "acme", indexed(["gamma"], vectors: [vector([0, 1, 0])], model: "other/3"))
        let hits = try await index.search(tenant: try TenantID("acme"), vector: vector([1, 0, 0]), modelKey: "test/3", k: 10, attributes: [:])
        #expect(hits.map(\.docId) == ["a.md"])
        #expect(abs(hits[0].score - 1) < 1e-5)
    }

    public func searchRanksByCosine() async throws {
        _ = try await process("far.md", indexed(["far"], vectors: [vector([0, 0, 1])]))
        _ = try await process("near.md", indexed(["near"], vectors: [vector([1, 0.2, 0])]))
        _ = try await process("mid.md", indexed(["mid"], vectors: [vector([1, 1, 0])]))
        let hits = try await index.search(tenant: try TenantID("acme"), vector: vector([1, 0, 0]), modelKey: "test/3", k: 2, attributes: [:])
        #expect(hits.map(\.docId) == ["near.md", "mid.md"])
    }

    public func tombstoneAndSkipRemoveChunks() async throws {
        _ = try await process("a.md", indexed(["one"], vectors: [vector([1, 0, 0])]))
        _ = try await process("b.md", indexed(["two"], vectors: [vector([0, 1, 0])]))
        _ = try await process("a.md", .deleted)
        _ = try await process("b.md", .skipped(contentHash: nil, reason: "binary content"))
        #expect(try await storedChunks().isEmpty)
        #expect(try await store.documentState(JobQueueConformance.key("b.md"))?.reason == "binary content")
        #expect(try await store.collectUnusedEmbeddings() == 2, "both vectors are unreferenced now")
    }

    public func purgeRemovesOnlyThatTenant() async throws {
        _ = try await process("a.md", tenant: "acme", indexed(["one"], vectors: [vector([1, 0, 0])]))
        _ = try await process("a.md", tenant: "globex", indexed(["one"], vectors: [nil]))
        try await store.enqueue([JobQueueConformance.change("pending.md", tenant: "acme")])
        let (acme, globex) = (JobQueueConformance.key("a.md", tenant: "acme"), JobQueueConformance.key("a.md", tenant: "globex"))
        _ = try await store.raiseSinkExtents([acme: 5, globex: 5], reading: [])
        #expect(try await store.purge(tenant: try TenantID("acme")) == 1)
        #expect(try await store.raiseSinkExtents([:], reading: [acme, globex]) == [globex: 5], "the purged tenant's sink extents go too")
        #expect(try await storedChunks().map(\.tenant) == ["globex"])
        #expect(try await store.depth().pending == 0)
        #expect(try await store.collectUnusedEmbeddings() == 0, "globex still uses the shared vector")
    }

    /// Each tenant's chunk count (what the quota reads) follows its documents
    /// through every kind of completion and a purge, and always equals the
    /// sum of their chunk counts.
    public func chunkCountsFollowEveryCompletion() async throws {
        let (acme, globex) = (try TenantID("acme"), try TenantID("globex"))
        func counts() async throws -> [TenantID: Int] { try await store.chunkCounts([acme, globex]) }
        func v(_ count: Int) -> [[Float]?] { (0..<count).map { _ in vector([1, 0, 0]) } }
        #expect(try await counts() == [acme: 0, globex: 0])
        _ = try await process("a.md", tenant: "acme", indexed(["1", "2", "3"], vectors: v(3)))
        _ = try await process("b.md", tenant: "acme", indexed(["4", "5"], vectors: v(2)))
        _ = try await process("a.md", tenant: "globex", indexed(["1"], vectors: v(1)))
        #expect(try await counts() == [acme: 5, globex: 1])
        _ = try await process("a.md", tenant: "acme", indexed(["1"], vectors: v(1)))
        #expect(try await counts()[acme] == 3, "an edit that shrinks a document gives its chunks back")
        _ = try await process("a.md", tenant: "acme", .unchanged(contentHash: ContentHash.of("1")))
        #expect(try await counts()[acme] == 3)
        _ = try await process("b.md", tenant: "acme", .skipped(contentHash: nil, reason: "binary content"))
        #expect(try await counts()[acme] == 1)
        _ = try await process("a.md", tenant: "acme", .deleted)
        #expect(try await counts() == [acme: 0, globex: 1])
        _ = try await process("a.md", tenant: "acme", indexed(["6", "7"], vectors: v(2)))
        let summary = try await store.tenantSummary(acme)
        #expect(try await counts()[acme] == summary.chunks)
        _ = try await store.purge(tenant: acme)
        #expect(try await counts() == [acme: 0, globex: 1])
    }

    public func oneTenantsSummaryIsItsLineOfTheWholeSummary() async throws {
        _ = try await process("a.md", tenant: "acme", indexed(["one", "two"], vectors: [vector([1, 0, 0]), vector([0, 1, 0])]))
        _ = try await process("b.md", tenant: "acme", .skipped(contentHash: nil, reason: "empty"))
        _ = try await process("a.md", tenant: "globex", indexed(["one"], vectors: [nil]))
        try await store.enqueue([JobQueueConformance.change("pending.md", tenant: "acme")])
        try await store.enqueue([JobQueueConformance.change("queued.md", tenant: "initech")])
        let all = try await store.tenantSummaries()
        #expect(all.map(\.tenant) == ["acme", "globex", "initech"])
        for summary in all {
            #expect(try await store.tenantSummaries(tenant: try TenantID(summary.tenant)) == [summary])
        }
        let acme = try await store.tenantSummary(try TenantID("acme"))
        #expect(acme.indexed == 1 && acme.skipped == 1 && acme.chunks == 2 && acme.pending == 1)
        #expect(try await store.tenantSummary(try TenantID("nobody")) == TenantSummary(tenant: "nobody"))
    }

    public func embeddingCacheReportsKnownTexts() async throws {
        _ = try await process("a.md", indexed(["cached"], vectors: [vector([1, 0, 0])]))
        let found = try await store.cachedEmbeddings(
            modelKey: "test/3", textHashes: [ContentHash.of("cached"), ContentHash.of("new")])
        #expect(found == [ContentHash.of("cached")])
        #expect(try await store.cachedEmbeddings(modelKey: "other/3", textHashes: [ContentHash.of("cached")]).isEmpty)
    }

    public func reopensAnExistingStore() async throws {
        _ = try await process("a.md", indexed(["one"], vectors: [vector([1, 0, 0])]))
        let reopened = try await fixture.reopened()
        #expect(try await reopened.tenantSummaries().map(\.indexed) == [1])
    }
}
