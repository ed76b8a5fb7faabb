import SluiceCore
import Testing

/// `DocumentPublisher` and stored content: content published over the API is
/// kept while its document or a queued change uses it, and removed when
/// superseded, deleted or purged. Run by every backend's tests.
public struct PublishingConformance: Sendable {
    let fixture: StoreFixture
    var store: ConformingStore { fixture.store }

    public init(_ factory: StoreFactory) async throws {
        fixture = try await StoreFixture(factory)
    }

    /// What the store keeps of `content` for the document.
    func stored(_ docId: String, _ content: String, tenant: String = "acme") async throws -> String? {
        let ref = ContentRef(key: try fixture.key(docId, tenant: tenant), hash: ContentHash.of(content))
        return try await store.contents([ref], byteLimit: 1 << 20)[ref]?.map { String(decoding: $0, as: UTF8.self) }
    }

    func publish(_ docId: String, _ content: String?, tenant: String = "acme") async throws {
        _ = try await store.publish([try fixture.publication(docId, content, tenant: tenant)])
    }

    /// Leases what is ready and completes it as indexed (one chunk).
    func indexReady() async throws {
        fixture.clock.advance(by: .seconds(3))
        try await fixture.completeReady()
    }

    public func contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() async throws {
        try await publish("a.md", "first")
        #expect(try await stored("a.md", "first") == "first", "kept for the queued change")
        try await publish("a.md", "second")
        #expect(try await stored("a.md", "first") == nil, "superseded before it was indexed")
        try await indexReady()
        #expect(try await stored("a.md", "second") == "second", "kept for re-indexing while the document exists")

        try await publish("a.md", "third")
        #expect(try await stored("a.md", "second") == "second", "still the indexed version until the new one is")
        try await indexReady()
        #expect(try await stored("a.md", "second") == nil)
        #expect(try await stored("a.md", "third") == "third")

        try await publish("a.md", nil)
        try await indexReady()
        #expect(try await stored("a.md", "third") == nil, "removed with the document")
    }

    /// A skipped document keeps no content (content no chunk counts would
    /// otherwise pile up past any quota); publishing it again stores it again
    /// and queues it, not `unchanged`.
    public func aSkippedDocumentKeepsNoContent() async throws {
        try await publish("a.md", "indexed")
        try await indexReady()
        try await publish("a.md", "binary")
        fixture.clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        _ = try await store.complete([Completion(lease: lease, result: .skipped(contentHash: lease.contentHash, reason: "binary content"))])
        #expect(try await store.documentState(try fixture.key("a.md"))?.status == .skipped)
        #expect(try await stored("a.md", "binary") == nil, "skipped: not kept")
        #expect(try await stored("a.md", "indexed") == nil, "superseded")
        let again = try await store.publish([try fixture.publication("a.md", "binary")])
        #expect(again.map(\.name) == ["queued"])
        #expect(try await stored("a.md", "binary") == "binary", "kept for the queued change")
    }

    public func identicalContentOfTwoDocumentsIsReleasedSeparately() async throws {
        _ = try await store.publish([try fixture.publication("a.md", "same"), try fixture.publication("b.md", "same")])
        try await indexReady()
        try await publish("a.md", nil)
        try await indexReady()
        #expect(try await stored("a.md", "same") == nil)
        #expect(try await stored("b.md", "same") == "same")
    }

    /// One read returns the first wanted document always, then the following
    /// ones while their total stays within the limit; content not kept maps to
    /// nil, and what did not fit is left for a later read.
    public func contentIsReadAheadWithinTheByteLimit() async throws {
        let body = String(repeating: "x", count: 1000)
        _ = try await store.publish(try ["a.md", "b.md", "c.md"].map { try fixture.publication($0, body + $0) })
        func ref(_ docId: String) throws -> ContentRef { ContentRef(key: try fixture.key(docId), hash: ContentHash.of(body + docId)) }
        let wanted = try [ref("a.md"), ref("gone.md"), ref("b.md"), ref("c.md")]
        let read = try await store.contents(wanted, byteLimit: 2100)
        #expect(read[try ref("a.md")] == .some(Array((body + "a.md").utf8)))
        #expect(read[try ref("gone.md")] == .some(nil), "not kept: nil")
        #expect(read[try ref("b.md")] == .some(Array((body + "b.md").utf8)))
        #expect(read[try ref("c.md")] == nil, "over the limit: left for a later read")
        let first = try await store.contents([try ref("c.md"), try ref("a.md")], byteLimit: 10)
        #expect(first[try ref("c.md")] == .some(Array((body + "c.md").utf8)), "the first is read whatever its size")
        #expect(first[try ref("a.md")] == nil)
    }

    /// One call publishing a document more than once applies its
    /// publications in the order given, as separate calls would: revisions
    /// rise, the later content supersedes (and releases) the earlier, and a
    /// publication of what is indexed counts as unchanged only while no
    /// other change of the document is pending.
    public func oneCallPublishingADocumentTwiceAppliesThemInOrder() async throws {
        let first = try await store.publish(try [
            fixture.publication("a.md", "first"), fixture.publication("b.md", "other"), fixture.publication("a.md", "second"),
        ])
        guard case .queued = first[0], case .queued = first[1], case .coalesced = first[2] else {
            Issue.record("queued, queued, coalesced: \(first)")
            return
        }
        #expect(first[0].revision < first[2].revision)
        #expect(try await stored("a.md", "first") == nil, "superseded within the call")
        #expect(try await stored("a.md", "second") == "second")
        #expect(try await store.entry(try fixture.key("a.md"))?.contentHash == ContentHash.of("second"))
        try await indexReady()

        let second = try await store.publish(try [
            fixture.publication("a.md", "second"), fixture.publication("a.md", "third"), fixture.publication("a.md", "second"),
        ])
        guard case .unchanged = second[0], case .queued = second[1], case .coalesced = second[2] else {
            Issue.record("unchanged (it is indexed), queued, coalesced (another change is pending): \(second)")
            return
        }
        #expect(try await stored("a.md", "third") == nil, "superseded within the call")
        #expect(try await store.entry(try fixture.key("a.md"))?.contentHash == ContentHash.of("second"))
    }

    /// Publications of many callers at once (the API's concurrent requests)
    /// each get their own outcome, with distinct revisions, and all are queued.
    public func concurrentPublicationsEachGetTheirOutcome() async throws {
        let outcomes = try await withThrowingTaskGroup(of: (Int, PublishOutcome).self) { group in
            for index in 0..<60 {
                let publication = try fixture.publication("doc\(index % 40).md", "version of \(index)")
                group.addTask { (index, try await store.publish([publication])[0]) }
            }
            return try await group.reduce(into: [Int: PublishOutcome]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 60)
        #expect(Set(outcomes.values.map(\.revision)).count == 60, "a revision each")
        #expect(outcomes.values.filter { if case .queued = $0 { true } else { false } }.count == 40, "one new row per document")
        #expect(try await store.depth().pending == 40)
        for document in 0..<40 {
            // The newest publication of each document is what its row holds.
            let newest = outcomes.filter { $0.key % 40 == document }.max { $0.value.revision < $1.value.revision }!
            #expect(try await store.entry(try fixture.key("doc\(document).md"))?.contentHash == ContentHash.of("version of \(newest.key)"))
        }
    }

    /// The worst a tenant can put in a publication that passes validation
    /// (NULs and control characters in its title, source and attributes, NULs
    /// in its content) is stored as given, and the publications grouped with
    /// it in one transaction, other tenants', are not failed by it.
    public func aHostilePublicationDoesNotFailThoseGroupedWithIt() async throws {
        let nasty = "\u{0}\u{1}\u{7F}\u{FFFF}\\'\";--\u{0}"
        let hostile = try Publication(
            IncomingDocument(
                meta: DocumentMeta(
                    tenant: "mallory", docId: "x.md", mimeType: "text/markdown", title: nasty, source: nasty, modifiedAt: nasty,
                    attributes: [nasty: nasty, "k": nasty]),
                content: "# x\n\n" + nasty),
            priority: .normal, maxContentBytes: 1 << 20)
        let outcomes = try await withThrowingTaskGroup(of: PublishOutcome.self) { group in
            group.addTask { try await store.publish([hostile])[0] }
            for index in 0..<20 {
                let publication = try fixture.publication("doc\(index).md", "words \(index)", tenant: "acme")
                group.addTask { try await store.publish([publication])[0] }
            }
            return try await group.reduce(into: [PublishOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.count == 21)
        let ref = ContentRef(key: try fixture.key("x.md", tenant: "mallory"), hash: ContentHash.of("# x\n\n" + nasty))
        #expect(try await store.contents([ref], byteLimit: 1 << 20)[ref] == .some(Array(("# x\n\n" + nasty).utf8)))
        #expect(try await store.entry(try fixture.key("x.md", tenant: "mallory"))?.origin == .api(hostile.meta), "the meta as given")
        #expect(try await store.depth().pending == 21)
    }

    public func purgingATenantRemovesItsContent() async throws {
        _ = try await store.publish([try fixture.publication("a.md", "kept", tenant: "other"), try fixture.publication("a.md", "gone")])
        _ = try await store.purge(tenant: try TenantID("acme"))
        #expect(try await stored("a.md", "gone") == nil)
        #expect(try await stored("a.md", "kept", tenant: "other") == "kept")
    }
}
