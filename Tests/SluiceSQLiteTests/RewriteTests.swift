import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// `requeueForRewrite`: what `verify --repair` and a lost lease after a
/// remote write use to have a document written to the sink again.
@Suite struct RewriteTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()
    let store: SQLiteStore

    init() throws {
        directory = try TemporaryDirectory("sluice-rewrite")
        store = try SQLiteStore(path: directory.path + "/sluice.sqlite", clock: clock)
    }

    func key(_ docId: String) throws -> DocumentKey { DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID(docId)) }

    func publish(_ docId: String, _ content: String?) async throws {
        _ = try await store.publish([try Publication(
            IncomingDocument(meta: DocumentMeta(tenant: "acme", docId: docId, deleted: content == nil ? true : nil), content: content),
            priority: .normal, maxContentBytes: 1 << 20)])
    }

    /// Leases what is ready and completes it (two chunks for an upsert).
    func indexReady() async throws {
        clock.advance(by: .seconds(3))
        let leases = try await store.lease(limit: 100, duration: .seconds(30))
        _ = try await store.complete(leases.map { lease in
            let result: DocumentResult = lease.kind == .delete ? .deleted : .indexed(IndexedDocument(
                contentHash: lease.contentHash!, title: nil,
                chunks: (0..<2).map { IndexedChunk(ordinal: $0, text: "x\($0)", textHash: ContentHash.of("x\($0)"), vector: [1, 0, 0]) },
                modelKey: "test/3", dimension: 3, settingsFingerprint: "fp"))
            return Completion(lease: lease, result: result)
        })
    }

    @Test func anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() async throws {
        try await publish("a.md", "alpha")
        try await indexReady()
        #expect(try await store.entry(try key("a.md")) == nil)

        let queued = try await store.requeueForRewrite([try key("a.md")], extent: [try key("a.md"): 5], priority: .high)
        #expect(queued == 1)
        let state = try #require(try await store.documentState(try key("a.md")))
        #expect(state.settingsFingerprint.isEmpty, "cleared, so processing writes it even though its content is unchanged")
        #expect(state.chunkCount == 5, "the sink's extent, so the rewrite removes ordinals 2 to 4")
        clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 10, duration: .seconds(30)).first)
        #expect(lease.kind == .upsert && lease.contentHash == ContentHash.of("alpha") && lease.priority == .high)
    }

    @Test func anUnknownOrDeletedDocumentGetsATombstone() async throws {
        try await publish("gone.md", "beta")
        try await indexReady()
        try await publish("gone.md", nil)
        try await indexReady()
        #expect(try await store.requeueForRewrite([try key("gone.md"), try key("never.md")], extent: [:], priority: .normal) == 2)
        clock.advance(by: .seconds(3))
        let leases = try await store.lease(limit: 10, duration: .seconds(30))
        #expect(Set(leases.map(\.key.docId.rawValue)) == ["gone.md", "never.md"])
        #expect(leases.allSatisfy { $0.kind == .delete })
    }

    @Test func aDocumentWithAPendingChangeIsOnlyMarked() async throws {
        try await publish("a.md", "alpha")
        try await indexReady()
        try await publish("a.md", "alpha, edited")
        let before = try #require(try await store.entry(try key("a.md")))
        #expect(try await store.requeueForRewrite([try key("a.md")], extent: [:], priority: .high) == 0)
        let after = try #require(try await store.entry(try key("a.md")))
        #expect(after.revision == before.revision, "the pending change keeps its content and revision")
        #expect(try await store.documentState(try key("a.md"))?.settingsFingerprint.isEmpty == true)
    }
}
