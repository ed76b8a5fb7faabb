import Foundation
import NIOCore
import PostgresNIO
import SluiceCore

extension PostgresStore: DocumentPublisher {
    /// Publications of requests made at once go in one transaction
    /// (`GroupCommit`): a handful of statements and one commit for all.
    public func publish(_ publications: [Publication]) async throws -> [PublishOutcome] {
        guard !publications.isEmpty else { return [] }
        return try await publishCommit.submit(publications) { groups in
            var outcomes = try await self.applyPublications(groups.flatMap { $0 })[...]
            return groups.map { group in
                defer { outcomes = outcomes.dropFirst(group.count) }
                return Array(outcomes.prefix(group.count))
            }
        }
    }

    /// Stores each document's content and queues its change in one
    /// transaction of a few statements whatever the count, documents locked
    /// in key order (as every queue write locks them); the outcomes come
    /// back in the order of `publications`. One document published twice
    /// is applied in the order given.
    func applyPublications(_ publications: [Publication]) async throws -> [PublishOutcome] {
        try await enqueueing("publishing \(publications.count) documents") { connection, now, effects in
            let revisions = try await self.allocateRevisions(connection, count: publications.count)
            let keys = publications.map(\.key)
            let order = PostgresStore.keyOrder(keys)
            var writes = try await QueueWrites(locking: order.map { keys[$0] }, in: self, connection)
            let indexed = try await self.indexedContent(connection, publications.filter { $0.contentHash != nil }.map(\.key))
            var outcomes = [PublishOutcome?](repeating: nil, count: publications.count)
            var contents: [DocumentKey: [ContentHash: [UInt8]]] = [:]
            var superseded: [(key: DocumentKey, hash: ContentHash)] = []
            for index in order {
                let publication = publications[index]
                let key = publication.key
                let pending = writes.entries[key]
                if let hash = publication.contentHash {
                    let document = indexed[key]
                    if publication.leavesUnchanged(indexed: (document?.status, document?.hash), pending: pending) {
                        outcomes[index] = .unchanged(revision: document?.revision ?? 0)
                        continue
                    }
                    contents[key, default: [:]][hash] = publication.content ?? []
                }
                let change = Change(
                    key: key, kind: publication.isTombstone ? .delete : .upsert, origin: .api(publication.meta),
                    contentHash: publication.contentHash, priority: publication.priority,
                    activity: publication.isSettled ? .settled : .quiet)
                switch writes.apply(change, revision: revisions[index], now: now, settle: self.options.settle) {
                case .queued(let revision): outcomes[index] = .queued(revision: revision)
                case .coalesced(let revision): outcomes[index] = .coalesced(revision: revision)
                }
                if let old = pending?.contentHash, old != publication.contentHash { superseded.append((key, old)) }
            }
            try await self.storeContents(connection, contents)
            try await writes.save(at: now, connection, effects: &effects, logger: self.logger)
            // After the rows are saved: content a row still names is kept.
            try await self.releaseContents(connection, superseded)
            return outcomes.map { $0! }
        }
    }

    /// What is recorded of `keys`' documents: status, content hash and revision.
    private func indexedContent(
        _ connection: PostgresConnection, _ keys: [DocumentKey]
    ) async throws -> [DocumentKey: (status: DocumentState.Status?, hash: ContentHash?, revision: Int64)] {
        guard !keys.isEmpty else { return [:] }
        var found: [DocumentKey: (status: DocumentState.Status?, hash: ContentHash?, revision: Int64)] = [:]
        for row in try await connection.run(IndexedContent(keys: keys), logger: logger) {
            let (tenant, docId, status, hash, revision) = try row.decode((String, String, String, Data?, Int64).self)
            let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
            found[key] = (DocumentState.Status(rawValue: status), hash.map { ContentHash(bytes: Array($0)) }, revision)
        }
        return found
    }

    private struct IndexedContent: KeysStatement {
        static let sql = """
            SELECT d.tenant, d.doc_id, d.status, d.content_hash, d.revision FROM documents d
            JOIN unnest($1::text[], $2::text[]) AS k(tenant, doc_id) USING (tenant, doc_id)
            """
        let keys: [DocumentKey]
    }

    /// Stores published content, one row per document and hash (a row already there is kept).
    private func storeContents(_ connection: PostgresConnection, _ contents: [DocumentKey: [ContentHash: [UInt8]]]) async throws {
        let rows = contents.flatMap { key, byHash in byHash.map { (key: key, hash: $0.key, bytes: $0.value) } }
        guard !rows.isEmpty else { return }
        try await connection.run(StoreContents(rows: rows), logger: logger)
    }

    private struct StoreContents: PreparedStatement {
        static let sql = """
            INSERT INTO contents (tenant, doc_id, hash, bytes)
            SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[])
            ON CONFLICT (tenant, doc_id, hash) DO NOTHING
            """
        let rows: [(key: DocumentKey, hash: ContentHash, bytes: [UInt8])]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(keys: rows.map(\.key))
            bindings.append(hashes: rows.map(\.hash))
            bindings.append(rows.map { ByteBuffer(bytes: $0.bytes) })
            return bindings
        }
    }

    /// Two reads whatever the number of documents: the sizes of all of
    /// `wanted`, then the bytes of those that fit.
    public func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?] {
        guard !wanted.isEmpty else { return [:] }
        let refs = wanted.reduce(into: [ContentRef]()) { if !$0.contains($1) { $0.append($1) } }
        return try await reading("reading stored content") { connection in
            var length: [ContentRef: Int] = [:]
            for row in try await connection.run(ContentSizes(refs: refs), logger: self.logger) {
                let (tenant, docId, hash, size) = try row.decode((String, String, Data, Int).self)
                let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
                length[ContentRef(key: key, hash: ContentHash(bytes: Array(hash)))] = size
            }
            // The first always; then the following ones while their total stays within the limit.
            var found: [ContentRef: [UInt8]?] = [:]
            var chosen: [ContentRef] = []
            var total = 0
            for ref in refs {
                guard let size = length[ref] else {
                    found[ref] = .some(nil)
                    continue
                }
                if total > 0 && total + size > byteLimit { break }
                total += size
                chosen.append(ref)
            }
            guard !chosen.isEmpty else { return found }
            for row in try await connection.run(ContentBytes(refs: chosen), logger: self.logger) {
                let (tenant, docId, hash, bytes) = try row.decode((String, String, Data, Data).self)
                let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
                found[ContentRef(key: key, hash: ContentHash(bytes: Array(hash)))] = .some([UInt8](bytes))
            }
            // Removed between the two reads: no longer kept.
            for ref in chosen where found[ref] == nil { found[ref] = .some(nil) }
            return found
        }
    }

    /// The sizes of the stored contents of `refs` that are kept.
    private struct ContentSizes: PreparedStatement {
        static let sql = """
            SELECT k.tenant, k.doc_id, k.hash, length(c.bytes) FROM contents c
            JOIN unnest($1::text[], $2::text[], $3::bytea[]) AS k(tenant, doc_id, hash) USING (tenant, doc_id, hash)
            """
        let refs: [ContentRef]

        func makeBindings() -> PostgresBindings { ContentRef.bindings(refs) }
    }

    /// The stored contents of `refs` that are kept.
    private struct ContentBytes: PreparedStatement {
        static let sql = """
            SELECT k.tenant, k.doc_id, k.hash, c.bytes FROM contents c
            JOIN unnest($1::text[], $2::text[], $3::bytea[]) AS k(tenant, doc_id, hash) USING (tenant, doc_id, hash)
            """
        let refs: [ContentRef]

        func makeBindings() -> PostgresBindings { ContentRef.bindings(refs) }
    }
}

extension ContentRef {
    /// `refs` as three parameters: their tenants, document ids and hashes.
    static func bindings(_ refs: [ContentRef]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(keys: refs.map(\.key))
        bindings.append(hashes: refs.map(\.hash))
        return bindings
    }
}
