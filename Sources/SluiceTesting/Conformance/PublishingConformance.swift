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

    public func purgingATenantRemovesItsContent() async throws {
        _ = try await store.publish([try fixture.publication("a.md", "kept", tenant: "other"), try fixture.publication("a.md", "gone")])
        _ = try await store.purge(tenant: try TenantID("acme"))
        #expect(try await stored("a.md", "gone") == nil)
        #expect(try await stored("a.md", "kept", tenant: "other") == "kept")
    }
}
