import Foundation
import NIOCore
import PostgresNIO
import SluiceCore

extension PostgresStore: DocumentPublisher {
    /// Stores each document's content and queues its change in one
    /// transaction, documents locked in key order (as every queue write
    /// locks them); the outcomes come back in the order of `publications`.
    public func publish(_ publications: [Publication]) async throws -> [PublishOutcome] {
        guard !publications.isEmpty else { return [] }
        return try await enqueueing("publishing \(publications.count) documents") { connection, now, effects in
            let revisions = try await self.allocateRevisions(connection, count: publications.count)
            var outcomes = [PublishOutcome?](repeating: nil, count: publications.count)
            for index in PostgresStore.keyOrder(publications.map(\.key)) {
                outcomes[index] = try await self.publish(publications[index], revision: revisions[index], connection, now: now, effects: &effects)
            }
            return outcomes.map { $0! }
        }
    }

    private func publish(
        _ publication: Publication, revision: Int64, _ connection: PostgresConnection, now: Timestamp, effects: inout EnqueueEffects
    ) async throws -> PublishOutcome {
        let key = publication.key
        let pending = try await lockDocument(connection, key)
        if let hash = publication.contentHash {
            let indexed = try await connection.query("""
                SELECT status, content_hash, revision FROM documents WHERE tenant = \(key.tenant.rawValue) AND doc_id = \(key.docId.rawValue)
                """, logger: logger)
            var unchangedAt: Int64?
            for try await (status, indexedHash, indexedRevision) in indexed.decode((String, Data?, Int64).self)
            where publication.leavesUnchanged(
                indexed: (DocumentState.Status(rawValue: status), indexedHash.map { ContentHash(bytes: Array($0)) }), pending: pending)
            {
                unchangedAt = indexedRevision
            }
            if let unchangedAt { return .unchanged(revision: unchangedAt) }
            try await connection.query("""
                INSERT INTO contents (tenant, doc_id, hash, bytes)
                VALUES (\(key.tenant.rawValue), \(key.docId.rawValue), \(Data(hash.bytes)), \(Data(publication.content ?? [])))
                ON CONFLICT (tenant, doc_id, hash) DO NOTHING
                """, logger: logger)
        }
        let change = Change(
            key: key, kind: publication.isTombstone ? .delete : .upsert, origin: .api(publication.meta),
            contentHash: publication.contentHash, priority: publication.priority,
            activity: publication.isSettled ? .settled : .quiet)
        let outcome = try await enqueue(connection, change, revision: revision, now: now, effects: &effects, locked: pending)
        if let superseded = pending?.contentHash, superseded != publication.contentHash {
            try await releaseContent(connection, key, superseded)
        }
        switch outcome {
        case .queued(let revision): return .queued(revision: revision)
        case .coalesced(let revision): return .coalesced(revision: revision)
        }
    }

    /// Two reads whatever the number of documents: the sizes of all of
    /// `wanted`, then the bytes of those that fit.
    public func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?] {
        guard !wanted.isEmpty else { return [:] }
        let refs = wanted.reduce(into: [ContentRef]()) { if !$0.contains($1) { $0.append($1) } }
        return try await reading("reading stored content") { connection in
            let keys = (refs.map(\.key.tenant.rawValue), refs.map(\.key.docId.rawValue), refs.map { ByteBuffer(bytes: $0.hash.bytes) })
            let sizes = try await connection.query("""
                SELECT k.tenant, k.doc_id, k.hash, length(c.bytes) FROM contents c
                JOIN unnest(\(keys.0)::text[], \(keys.1)::text[], \(keys.2)::bytea[]) AS k(tenant, doc_id, hash) USING (tenant, doc_id, hash)
                """, logger: self.logger)
            var length: [ContentRef: Int] = [:]
            for try await (tenant, docId, hash, size) in sizes.decode((String, String, Data, Int).self) {
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
            let rows = try await connection.query("""
                SELECT k.tenant, k.doc_id, k.hash, c.bytes FROM contents c
                JOIN unnest(\(chosen.map(\.key.tenant.rawValue))::text[], \(chosen.map(\.key.docId.rawValue))::text[],
                            \(chosen.map { ByteBuffer(bytes: $0.hash.bytes) })::bytea[]) AS k(tenant, doc_id, hash) USING (tenant, doc_id, hash)
                """, logger: self.logger)
            for try await (tenant, docId, hash, bytes) in rows.decode((String, String, Data, Data).self) {
                let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
                found[ContentRef(key: key, hash: ContentHash(bytes: Array(hash)))] = .some([UInt8](bytes))
            }
            // Removed between the two reads: no longer kept.
            for ref in chosen where found[ref] == nil { found[ref] = .some(nil) }
            return found
        }
    }
}
