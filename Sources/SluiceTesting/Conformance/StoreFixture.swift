import SluiceCore
import Testing

/// A backend as the store conformance suites see it: every storage role (the
/// suites that search ask for the embedded vector index as well).
public typealias ConformingStore = any SluiceStore

/// Makes a fresh, empty storage driven by `clock` and returns how to open a
/// handle to it: the first call opens the one a suite uses, a later one opens
/// another handle on the same storage, as a second process would.
public typealias StoreFactory = @Sendable (ManualClock) async throws -> @Sendable () async throws -> ConformingStore

/// A fresh backend, its clock, and the steps the suites share: publishing,
/// and leasing what is ready to complete it as indexed.
public struct StoreFixture: Sendable {
    public let clock: ManualClock
    public let store: ConformingStore
    let open: @Sendable () async throws -> ConformingStore

    public init(_ factory: StoreFactory) async throws {
        let clock = ManualClock()
        let open = try await factory(clock)
        self.clock = clock
        self.open = open
        self.store = try await open()
    }

    /// Another handle on the same storage.
    public func reopened() async throws -> ConformingStore {
        try await open()
    }

    public func key(_ docId: String, tenant: String = "acme") throws -> DocumentKey {
        DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID(docId))
    }

    /// A publication of `content`, or a tombstone when nil.
    public func publication(_ docId: String, _ content: String?, tenant: String = "acme") throws -> Publication {
        try Publication(
            IncomingDocument(meta: DocumentMeta(tenant: tenant, docId: docId, deleted: content == nil ? true : nil), content: content),
            priority: .normal, maxContentBytes: 1 << 20)
    }

    /// Leases up to `limit` ready documents and completes them: a delete as
    /// deleted, an upsert as indexed with one chunk per text of `texts` (each
    /// with the same vector).
    public func completeReady(limit: Int = 100, texts: [String] = ["x"]) async throws {
        let leases = try await store.lease(limit: limit, duration: .seconds(30))
        _ = try await store.complete(leases.map { lease in
            let result: DocumentResult = lease.kind == .delete ? .deleted : .indexed(IndexedDocument(
                contentHash: lease.contentHash!, title: nil,
                chunks: texts.enumerated().map { IndexedChunk(ordinal: $0, text: $1, textHash: ContentHash.of($1), vector: [1, 0, 0]) },
                modelKey: "test/3", dimension: 3, settingsFingerprint: "fp"))
            return Completion(lease: lease, result: result)
        })
    }
}
