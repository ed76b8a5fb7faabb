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
            let now = try await self.now(connection)
            var outcomes = [CompletionOutcome?](repeating: nil, count: completions.count)
            for index in PostgresStore.keyOrder(completions.map(\.lease.key)) {
                outcomes[index] = try await self.apply(completions[index], connection, now: now)
            }
            try await self.notify(connection, .completed)
            return outcomes.map { $0! }
        }
        self.completions.ring()
        return outcomes
    }

    private func apply(_ completion: Completion, _ connection: PostgresConnection, now: Timestamp) async throws -> CompletionOutcome {
        let lease = completion.lease
        guard var entry = try await QueueEntry.lock(connection, lease.key, logger: logger), entry.isHeld(by: lease.token, at: now) else {
            return .leaseLost
        }
        let effect = entry.complete(token: lease.token, now: now)
        let indexed = try await connection.query("""
            SELECT revision, status, content_hash FROM documents
            WHERE tenant = \(lease.key.tenant.rawValue) AND doc_id = \(lease.key.docId.rawValue) FOR UPDATE
            """, logger: logger)
        var indexedRevision: Int64?
        var previousHash: ContentHash?
        for try await (revision, status, hash) in indexed.decode((Int64, String, Data?).self) {
            indexedRevision = revision
            if status != DocumentState.Status.deleted.rawValue { previousHash = hash.map { ContentHash(bytes: Array($0)) } }
        }
        let outcome: CompletionOutcome
        if let indexedRevision, indexedRevision >= lease.revision {
            outcome = .stale
        } else {
            try await write(completion, connection, now: now)
            switch completion.file {
            case .seen(let state): try await saveFileState(connection, state)
            case .gone: try await forgetFile(connection, lease.key)
            case nil: break
            }
            if let covered = completion.sinkExtent {
                try await connection.query("""
                    DELETE FROM sink_extents WHERE tenant = \(lease.key.tenant.rawValue) AND doc_id = \(lease.key.docId.rawValue)
                      AND extent <= \(covered)
                    """, logger: logger)
            }
            outcome = effect == .remove ? .applied : .appliedNewerPending
        }
        if effect == .remove {
            try await QueueEntry.delete(connection, lease.key, logger: logger)
        } else {
            try await entry.save(connection, logger: logger)
        }
        if case .api = lease.origin {
            for hash in Set([previousHash, lease.contentHash].compactMap { $0 }) {
                try await releaseContent(connection, lease.key, hash)
            }
        }
        return outcome
    }

    private func write(_ completion: Completion, _ connection: PostgresConnection, now: Timestamp) async throws {
        let lease = completion.lease
        let tenant = lease.key.tenant.rawValue
        let docId = lease.key.docId.rawValue
        switch completion.result {
        case .indexed(let document):
            for chunk in document.chunks {
                try await connection.query("""
                    INSERT INTO chunks (tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, heading_path, places)
                    VALUES (\(tenant), \(docId), \(chunk.ordinal), \(ChunkID.string(lease.key, ordinal: chunk.ordinal)), \(chunk.text),
                            \(Data(chunk.textHash.bytes)), \(lease.revision), \(chunk.location.headingPathColumn), \(chunk.location.placesColumn))
                    ON CONFLICT (tenant, doc_id, ordinal) DO UPDATE SET
                        chunk_id = excluded.chunk_id, text = excluded.text, text_hash = excluded.text_hash,
                        revision = excluded.revision, heading_path = excluded.heading_path, places = excluded.places
                    """, logger: logger)
            }
            try await deleteChunks(connection, lease.key, from: document.chunks.count)
            try await cacheEmbeddings(connection, document)
            try await saveDocument(
                connection, lease, now: now, status: .indexed, contentHash: document.contentHash, chunkCount: document.chunks.count,
                settings: document.settingsFingerprint, title: document.title, reason: nil,
                notes: document.notes.isEmpty ? nil : document.notes.joined(separator: "\n"))
        case .unchanged:
            try await connection.query("""
                UPDATE documents SET revision = \(lease.revision), updated_at = \(now.milliseconds), processings = processings + 1
                WHERE tenant = \(tenant) AND doc_id = \(docId)
                """, logger: logger)
        case .deleted:
            try await deleteChunks(connection, lease.key, from: 0)
            try await saveDocument(
                connection, lease, now: now, status: .deleted, contentHash: Tombstone.hash(tenant: lease.key.tenant, docId: lease.key.docId),
                chunkCount: 0, settings: "", title: nil, reason: nil)
        case .skipped(let hash, let reason):
            try await deleteChunks(connection, lease.key, from: 0)
            try await saveDocument(
                connection, lease, now: now, status: .skipped, contentHash: hash, chunkCount: 0, settings: "", title: nil, reason: reason)
        }
    }

    private func deleteChunks(_ connection: PostgresConnection, _ key: DocumentKey, from ordinal: Int) async throws {
        try await connection.query("""
            DELETE FROM chunks WHERE tenant = \(key.tenant.rawValue) AND doc_id = \(key.docId.rawValue) AND ordinal >= \(ordinal)
            """, logger: logger)
    }

    private func saveDocument(
        _ connection: PostgresConnection, _ lease: Lease, now: Timestamp, status: DocumentState.Status, contentHash: ContentHash?,
        chunkCount: Int, settings: String, title: String?, reason: String?, notes: String? = nil
    ) async throws {
        try await connection.query("""
            INSERT INTO documents
                (tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, updated_at, meta, notes)
            VALUES (\(lease.key.tenant.rawValue), \(lease.key.docId.rawValue), \(status.rawValue), \(contentHash.map { Data($0.bytes) }),
                    \(lease.revision), \(chunkCount), \(settings), \(lease.origin.sourceName), \(title), \(reason), \(now.milliseconds),
                    \(lease.origin.metaJSON), \(notes))
            ON CONFLICT (tenant, doc_id) DO UPDATE SET
                status = excluded.status, content_hash = excluded.content_hash, revision = excluded.revision,
                chunk_count = excluded.chunk_count, settings = excluded.settings, source = excluded.source,
                title = excluded.title, reason = excluded.reason, updated_at = excluded.updated_at, meta = excluded.meta,
                notes = excluded.notes, processings = documents.processings + 1
            """, logger: logger)
    }

    /// Deletes a published document's stored content once neither its
    /// recorded state nor its queued change refers to it.
    func releaseContent(_ connection: PostgresConnection, _ key: DocumentKey, _ hash: ContentHash) async throws {
        let blob = Data(hash.bytes)
        try await connection.query("""
            DELETE FROM contents c WHERE c.tenant = \(key.tenant.rawValue) AND c.doc_id = \(key.docId.rawValue) AND c.hash = \(blob)
              AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.tenant = c.tenant AND d.doc_id = c.doc_id AND d.content_hash = c.hash
                              AND d.source = 'api' AND d.status <> 'deleted')
              AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.tenant = c.tenant AND q.doc_id = c.doc_id AND q.content_hash = c.hash)
            """, logger: logger)
    }
}
