import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: QueueRepair {
    public func requeueDocuments(notMatching accepted: Set<String>, priority: Priority) async throws -> Int {
        try await enqueueing("queueing documents for re-indexing") { connection, now, effects in
            let rows = try await connection.query("""
                SELECT \(unescaped: PostgresStore.repairColumns) FROM documents d LEFT JOIN files f USING (tenant, doc_id)
                WHERE d.status = 'indexed' AND NOT d.settings = ANY(\(accepted.sorted()))
                """, logger: self.logger)
            let changes = try await PostgresStore.reindexing(rows, priority: priority)
            _ = try await self.enqueue(connection, changes, now: now, effects: &effects)
            return changes.count
        }
    }

    public func requeueSkippedFiles(reasonPrefix: String, extensions: Set<String>?, priority: Priority) async throws -> Int {
        try await enqueueing("queueing skipped files again") { connection, now, effects in
            let rows = try await connection.query("""
                SELECT \(unescaped: PostgresStore.repairColumns) FROM documents d JOIN files f USING (tenant, doc_id)
                WHERE d.status = 'skipped' AND d.source = 'file' AND starts_with(d.reason, \(reasonPrefix))
                """, logger: self.logger)
            let changes = try await PostgresStore.reindexing(rows, priority: priority).filter { change in
                guard let extensions else { return true }
                let docId = change.key.docId.rawValue
                guard let dot = docId.lastIndex(of: "."), !docId[dot...].contains("/") else { return false }
                return extensions.contains(docId[docId.index(after: dot)...].lowercased())
            }
            _ = try await self.enqueue(connection, changes, now: now, effects: &effects)
            return changes.count
        }
    }

    public func requeueForRewrite(_ keys: [DocumentKey], extent: [DocumentKey: Int], priority: Priority) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let unique = PostgresStore.keyOrder(keys).map { keys[$0] }.reduce(into: [DocumentKey]()) { if $0.last != $1 { $0.append($1) } }
        let extents = Dictionary(uniqueKeysWithValues: unique.map { ($0, max(1, extent[$0] ?? 0)) })
        // Recorded even without a known extent: the sink may hold points of the document (that is
        // why it is rewritten), so even a tombstone of an unknown one is sent.
        _ = try await raiseSinkExtents(extents, reading: [])
        return try await enqueueing("queueing documents to be written again") { connection, now, effects in
            let (tenants, docIds) = (unique.map(\.tenant.rawValue), unique.map(\.docId.rawValue))
            // A cleared settings fingerprint makes the next processing write the document even if its content is unchanged.
            try await connection.query("""
                UPDATE documents d SET settings = '' FROM unnest(\(tenants)::text[], \(docIds)::text[]) AS k(tenant, doc_id)
                WHERE d.tenant = k.tenant AND d.doc_id = k.doc_id
                """, logger: self.logger)
            // A pending change is processed anyway, and now written in full.
            let queued = try await connection.query("""
                SELECT tenant, doc_id FROM queue JOIN unnest(\(tenants)::text[], \(docIds)::text[]) AS k(tenant, doc_id) USING (tenant, doc_id)
                """, logger: self.logger)
            var skip = Set<DocumentKey>()
            for try await (tenant, docId) in queued.decode((String, String).self) {
                skip.insert(DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId)))
            }
            let rows = try await connection.query("""
                SELECT \(unescaped: PostgresStore.repairColumns) FROM documents d LEFT JOIN files f USING (tenant, doc_id)
                JOIN unnest(\(tenants)::text[], \(docIds)::text[]) AS k(tenant, doc_id) USING (tenant, doc_id)
                WHERE d.status IN ('indexed', 'skipped')
                """, logger: self.logger)
            var changes = try await PostgresStore.reindexing(rows, priority: priority).filter { !skip.contains($0.key) }
            let rewritten = Set(changes.map(\.key))
            // Deleted, unknown, or a file no longer recorded: a tombstone removes whatever the sink holds.
            for key in unique where !skip.contains(key) && !rewritten.contains(key) {
                changes.append(Change(
                    key: key, kind: .delete,
                    origin: .api(DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true)), priority: priority))
            }
            _ = try await self.enqueue(connection, changes, now: now, effects: &effects)
            return changes.count
        }
    }

    /// A document's columns and its file's, for queueing it again.
    static let repairColumns = "d.tenant, d.doc_id, d.source, d.content_hash, d.meta, f.root, f.tenant_dir, f.path, f.content_hash"

    /// An upsert of each document of `rows` (of `repairColumns`) that reads
    /// it again: a published one from its stored content, a file-backed one
    /// from its file. A file-backed document whose file is no longer recorded is left out.
    static func reindexing(_ rows: PostgresRowSequence, priority: Priority) async throws -> [Change] {
        var changes: [Change] = []
        for try await (tenant, docId, source, documentHash, meta, root, tenantDirectory, path, fileHash)
            in rows.decode((String, String, String, Data?, String?, String?, String?, String?, Data?).self)
        {
            let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
            if source == "api" {
                changes.append(Change(
                    key: key, kind: .upsert, origin: .api(storedMeta: meta, key: key),
                    contentHash: documentHash.map { ContentHash(bytes: Array($0)) }, priority: priority))
            } else if let root, let tenantDirectory, let path {
                changes.append(Change(
                    key: key, kind: .upsert, origin: .file(FileLocation(scanRoot: root, tenantDirectory: tenantDirectory, path: path)),
                    contentHash: fileHash.map { ContentHash(bytes: Array($0)) }, priority: priority))
            }
        }
        return changes
    }
}
