import SluiceCore
import Testing

/// `QueueRepair.requeueForRewrite` and `DocumentStateStore.raiseSinkExtents`:
/// what `verify --repair` and a lost lease after a remote write use to have a
/// document written to the sink again. Run by every backend's tests.
public struct RewriteConformance: Sendable {
    let fixture: StoreFixture
    var store: ConformingStore { fixture.store }

    public init(_ factory: StoreFactory) async throws {
        fixture = try await StoreFixture(factory)
    }

    func key(_ docId: String) throws -> DocumentKey { try fixture.key(docId) }

    func publish(_ docId: String, _ content: String?) async throws {
        _ = try await store.publish([try fixture.publication(docId, content)])
    }

    /// Leases what is ready and completes it (two chunks for an upsert).
    func indexReady() async throws {
        fixture.clock.advance(by: .seconds(3))
        try await fixture.completeReady(texts: ["x0", "x1"])
    }

    public func anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() async throws {
        try await publish("a.md", "alpha")
        try await indexReady()
        #expect(try await store.entry(try key("a.md")) == nil)

        let queued = try await store.requeueForRewrite([try key("a.md")], extent: [try key("a.md"): 5], priority: .high)
        #expect(queued == 1)
        let state = try #require(try await store.documentState(try key("a.md")))
        #expect(state.settingsFingerprint.isEmpty, "cleared, so processing writes it even though its content is unchanged")
        #expect(state.chunkCount == 2, "the store's own count is left as it is")
        #expect(try await store.raiseSinkExtents([:], reading: [try key("a.md")]) == [try key("a.md"): 5], "the sink's extent, so the rewrite removes ordinals 2 to 4")
        fixture.clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 10, duration: .seconds(30)).first)
        #expect(lease.kind == .upsert && lease.contentHash == ContentHash.of("alpha") && lease.priority == .high)
    }

    /// A remote write can fail part-way (some points landed) or land and not
    /// be recorded (a kill): how far the document's points may reach is
    /// recorded before it, read by the next write of the document (which
    /// clears up to there), and forgotten only when a completion whose
    /// confirmed write cleared that far is recorded.
    public func sinkExtentsOutliveFailedWritesAndGoWithTheWriteThatClearedThem() async throws {
        let a = try key("a.md")
        let b = try key("b.md")
        try await publish("a.md", "alpha")
        try await indexReady()  // two chunks recorded
        #expect(try await store.raiseSinkExtents([:], reading: [a, b]).isEmpty, "nothing beyond the store's counts")
        // A write of 7 chunks for a and 3 for the new b is about to go out; it fails.
        #expect(try await store.raiseSinkExtents([a: 7, b: 3], reading: [a, b]).isEmpty, "what was there before the raise")
        #expect(try await store.raiseSinkExtents([a: 4], reading: [a, b]) == [a: 7, b: 3], "a raise never lowers")

        // A completion whose write cleared less than the extent keeps it; one that covered it forgets it.
        try await publish("a.md", "alpha two")
        try await publish("b.md", "beta")
        fixture.clock.advance(by: .seconds(3))
        let leases = try await store.lease(limit: 10, duration: .seconds(30))
        #expect(leases.count == 2)
        let outcomes = try await store.complete(leases.map { lease in
            Completion(
                lease: lease,
                result: .indexed(IndexedDocument(
                    contentHash: lease.contentHash!, title: nil,
                    chunks: [IndexedChunk(ordinal: 0, text: "y", textHash: ContentHash.of("y"), vector: [1, 0, 0])],
                    modelKey: "test/3", dimension: 3, settingsFingerprint: "fp")),
                sinkExtent: lease.key == a ? 7 : 2)
        })
        #expect(outcomes.allSatisfy { $0 == .applied })
        #expect(try await store.raiseSinkExtents([:], reading: [a, b]) == [b: 3], "a's write cleared to 7 and was recorded; b's only to 2")
    }

    public func anUnknownOrDeletedDocumentGetsATombstone() async throws {
        try await publish("gone.md", "beta")
        try await indexReady()
        try await publish("gone.md", nil)
        try await indexReady()
        #expect(try await store.requeueForRewrite([try key("gone.md"), try key("never.md")], extent: [:], priority: .normal) == 2)
        fixture.clock.advance(by: .seconds(3))
        let leases = try await store.lease(limit: 10, duration: .seconds(30))
        #expect(Set(leases.map(\.key.docId.rawValue)) == ["gone.md", "never.md"])
        #expect(leases.allSatisfy { $0.kind == .delete })
    }

    public func aDocumentWithAPendingChangeIsOnlyMarked() async throws {
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
