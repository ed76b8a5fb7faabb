import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore {
    /// Applies finished work in one transaction: each result is recorded only
    /// while its lease holds (the row is locked, so no other process can take
    /// it meanwhile) and its revision is newer than what is recorded. Rows
    /// are locked in key order, as `enqueue` locks them, so the two cannot
    /// deadlock; the outcomes come back in the order of `completions`.
    public func complete(_ completions: [Completion]) async throws -> [CompletionOutcome] {
        guard !completions.isEmpty else { return [] }
        let outcomes = try await transaction("completing \(completions.count) documents") { connection in
            let keys = completions.map(\.lease.key)
            let locked = try await QueueEntry.lockAllWithTime(connection, keys, clock: self.clock?.now(), logger: self.logger)
            var entries = locked.entries
            // No row: no lease holds, nothing is written.
            guard let now = locked.now else { return [CompletionOutcome](repeating: .leaseLost, count: completions.count) }
            let recorded = try await self.lockRecorded(connection, keys)
            var writes = CompletionWrites(now: now)
            var outcomes: [CompletionOutcome] = []
            for completion in completions {
                let lease = completion.lease
                guard var entry = entries[lease.key], entry.isHeld(by: lease.token, at: now) else {
                    outcomes.append(.leaseLost)
                    continue
                }
                let effect = entry.complete(token: lease.token, now: now)
                let record = recorded[lease.key]
                if let revision = record?.revision, revision >= lease.revision {
                    outcomes.append(.stale)
                } else {
                    writes.record(completion, recordedChunks: record?.chunks ?? 0)
                    outcomes.append(effect == .remove ? .applied : .appliedNewerPending)
                }
                if effect == .remove {
                    writes.removedRows.append(lease.key)
                    entries[lease.key] = nil
                } else {
                    writes.savedRows.append(entry)
                    entries[lease.key] = entry
                }
                if case .api = lease.origin {
                    for hash in Set([record?.contentHash, lease.contentHash].compactMap { $0 }) { writes.released.append((lease.key, hash)) }
                }
            }
            try await writes.apply(connection, self)
            return outcomes
        }
        announce(.completed)
        self.completions.ring()
        return outcomes
    }

    /// What is recorded of each of `keys` (its revision, its content hash
    /// unless deleted, its chunk count), the rows locked until the transaction ends.
    private func lockRecorded(_ connection: PostgresConnection, _ keys: [DocumentKey]) async throws -> [DocumentKey: (revision: Int64, contentHash: ContentHash?, chunks: Int)] {
        var recorded: [DocumentKey: (revision: Int64, contentHash: ContentHash?, chunks: Int)] = [:]
        for row in try await connection.run(LockRecorded(keys: keys), logger: logger) {
            let (tenant, docId, revision, status, hash, chunks) = try row.decode((String, String, Int64, String, Data?, Int).self)
            let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
            recorded[key] = (revision, status == DocumentState.Status.deleted.rawValue ? nil : hash.map { ContentHash(bytes: Array($0)) }, chunks)
        }
        return recorded
    }

    private struct LockRecorded: KeysStatement {
        static let sql = """
            SELECT tenant, doc_id, revision, status, content_hash, chunk_count FROM documents
            WHERE (tenant, doc_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            ORDER BY tenant COLLATE "C", doc_id COLLATE "C"
            FOR UPDATE
            """
        let keys: [DocumentKey]
    }

    /// Deletes a published document's stored content once neither the
    /// document, indexed from it, nor its queued change refers to it (a
    /// skipped document keeps none, as in SQLite: `releaseContent`).
    func releaseContent(_ connection: PostgresConnection, _ key: DocumentKey, _ hash: ContentHash) async throws {
        try await releaseContents(connection, [(key, hash)])
    }

    /// `releaseContent` for many at once.
    func releaseContents(_ connection: PostgresConnection, _ contents: [(key: DocumentKey, hash: ContentHash)]) async throws {
        guard !contents.isEmpty else { return }
        try await connection.run(ReleaseContents(contents: contents), logger: logger)
    }

    private struct ReleaseContents: PreparedStatement {
        static let sql = """
            DELETE FROM contents c
            USING unnest($1::text[], $2::text[], $3::bytea[]) AS r(tenant, doc_id, hash)
            WHERE c.tenant = r.tenant AND c.doc_id = r.doc_id AND c.hash = r.hash
              AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.tenant = c.tenant AND d.doc_id = c.doc_id AND d.content_hash = c.hash
                              AND d.source = 'api' AND d.status = 'indexed')
              AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.tenant = c.tenant AND q.doc_id = c.doc_id AND q.content_hash = c.hash)
            """
        let contents: [(key: DocumentKey, hash: ContentHash)]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys: contents.map(\.key))
            bindings.append(hashes: contents.map(\.hash))
            return bindings
        }
    }
}
