import Foundation
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
        try await lockDocument(connection, key)
        let pending = try await QueueEntry.lock(connection, key, logger: logger)
        if let hash = publication.contentHash {
            let indexed = try await connection.query("""
                SELECT status, content_hash, revision FROM documents WHERE tenant = \(key.tenant.rawValue) AND doc_id = \(key.docId.rawValue)
                """, logger: logger)
            var unchangedAt: Int64?
            for try await (status, indexedHash, indexedRevision) in indexed.decode((String, Data?, Int64).self) {
                let pendingOther = pending.map { $0.state == .queued && ($0.kind == .delete || $0.contentHash != hash) } ?? false
                if status == DocumentState.Status.indexed.rawValue, indexedHash == Data(hash.bytes), !pendingOther, pending?.state != .dead {
                    unchangedAt = indexedRevision
                }
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
        let outcome = try await enqueue(connection, change, revision: revision, now: now, effects: &effects)
        if let superseded = pending?.contentHash, superseded != publication.contentHash {
            try await releaseContent(connection, key, superseded)
        }
        switch outcome {
        case .queued(let revision): return .queued(revision: revision)
        case .coalesced(let revision): return .coalesced(revision: revision)
        }
    }

    public func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?] {
        guard !wanted.isEmpty else { return [:] }
        return try await reading("reading stored content") { connection in
            var found: [ContentRef: [UInt8]?] = [:]
            var total = 0
            for ref in wanted where found[ref] == nil {
                let (tenant, docId, hash) = (ref.key.tenant.rawValue, ref.key.docId.rawValue, Data(ref.hash.bytes))
                let sizes = try await connection.query(
                    "SELECT length(bytes) FROM contents WHERE tenant = \(tenant) AND doc_id = \(docId) AND hash = \(hash)", logger: self.logger)
                guard let length = try await sizes.firstRow()?.decode(Int.self) else {
                    found[ref] = .some(nil)
                    continue
                }
                if total > 0 && total + length > byteLimit { break }
                total += length
                let bytes = try await connection.query(
                    "SELECT bytes FROM contents WHERE tenant = \(tenant) AND doc_id = \(docId) AND hash = \(hash)", logger: self.logger)
                let data = try await bytes.firstRow()?.decode(Data.self)
                found[ref] = .some(data.map { [UInt8]($0) })
            }
            return found
        }
    }
}
