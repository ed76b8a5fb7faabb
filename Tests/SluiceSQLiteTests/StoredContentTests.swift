import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// Content published over the API is kept while its document or a queued
/// change uses it, and removed when superseded, deleted or purged.
@Suite struct StoredContentTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()
    let store: SQLiteStore

    init() throws {
        directory = try TemporaryDirectory("sluice-contents")
        store = try SQLiteStore(path: directory.path + "/sluice.sqlite", clock: clock)
    }

    func publication(_ docId: String, _ content: String?, tenant: String = "acme") throws -> Publication {
        try Publication(
            IncomingDocument(meta: DocumentMeta(tenant: tenant, docId: docId, deleted: content == nil ? true : nil), content: content),
            priority: .normal, maxContentBytes: 1 << 20)
    }

    /// What the store keeps of `content` for the document.
    func stored(_ docId: String, _ content: String, tenant: String = "acme") async throws -> String? {
        let ref = ContentRef(key: DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID(docId)), hash: ContentHash.of(content))
        return try await store.contents([ref], byteLimit: 1 << 20)[ref]?.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Leases what is ready and completes it as indexed (one chunk, no vector).
    func indexReady() async throws {
        clock.advance(by: .seconds(3))
        let leases = try await store.lease(limit: 100, duration: .seconds(30))
        let completions = leases.map { lease in
            let result: DocumentResult = lease.kind == .delete ? .deleted : .indexed(IndexedDocument(
                contentHash: lease.contentHash!, title: nil,
                chunks: [IndexedChunk(ordinal: 0, text: "x", textHash: ContentHash.of("x"), vector: [1, 0, 0])],
                modelKey: "test/3", dimension: 3, settingsFingerprint: "fp"))
            return Completion(lease: lease, result: result)
        }
        _ = try await store.complete(completions)
    }

    @Test func contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() async throws {
        _ = try await store.publish([try publication("a.md", "first")])
        #expect(try await stored("a.md", "first") == "first", "kept for the queued change")
        _ = try await store.publish([try publication("a.md", "second")])
        #expect(try await stored("a.md", "first") == nil, "superseded before it was indexed")
        try await indexReady()
        #expect(try await stored("a.md", "second") == "second", "kept for re-indexing while the document exists")

        _ = try await store.publish([try publication("a.md", "third")])
        #expect(try await stored("a.md", "second") == "second", "still the indexed version until the new one is")
        try await indexReady()
        #expect(try await stored("a.md", "second") == nil)
        #expect(try await stored("a.md", "third") == "third")

        _ = try await store.publish([try publication("a.md", nil)])
        try await indexReady()
        #expect(try await stored("a.md", "third") == nil, "removed with the document")
    }

    @Test func identicalContentOfTwoDocumentsIsReleasedSeparately() async throws {
        _ = try await store.publish([try publication("a.md", "same"), try publication("b.md", "same")])
        try await indexReady()
        _ = try await store.publish([try publication("a.md", nil)])
        try await indexReady()
        #expect(try await stored("a.md", "same") == nil)
        #expect(try await stored("b.md", "same") == "same")
    }

    @Test func purgingATenantRemovesItsContent() async throws {
        _ = try await store.publish([try publication("a.md", "kept", tenant: "other"), try publication("a.md", "gone")])
        _ = try await store.purge(tenant: try TenantID("acme"))
        #expect(try await stored("a.md", "gone") == nil)
        #expect(try await stored("a.md", "kept", tenant: "other") == "kept")
    }
}
