import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: QueueRepair {
    public func requeueDocuments(notMatching accepted: Set<String>, priority: Priority) async throws -> Int {
        let now = clock.now()
        let settle = options.settle
        let list = Array(repeating: "?", count: accepted.count).joined(separator: ", ")
        let arguments = StatementArguments(accepted.sorted())
        return try await enqueueing("queueing documents for re-indexing") { db, effects in
            var changes = try SQLiteStore.fileUpserts(
                db, where: "d.status = 'indexed' AND d.settings NOT IN (\(list))", arguments: arguments, priority: priority)
            // Documents published over the API are re-indexed from their stored content.
            for row in try Row.fetchAll(db, sql: """
                SELECT tenant, doc_id, content_hash, meta FROM documents
                WHERE source = 'api' AND status = 'indexed' AND settings NOT IN (\(list))
                """, arguments: arguments)
            {
                let key = DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"]))
                changes.append(Change(reindexing: key, publishedRow: row, priority: priority))
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }

    public func requeueSkippedFiles(reasonPrefix: String, extensions: Set<String>?, priority: Priority) async throws -> Int {
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("queueing skipped files again") { db, effects in
            // A prefix range rather than LIKE, whose % and _ the prefix might hold.
            let changes = try SQLiteStore.fileUpserts(
                db, where: "d.status = 'skipped' AND d.source = 'file' AND d.reason >= ? AND d.reason < ?",
                arguments: [reasonPrefix, reasonPrefix + "\u{10FFFF}"], priority: priority
            ).filter { change in
                guard let extensions else { return true }
                let docId = change.key.docId.rawValue
                guard let dot = docId.lastIndex(of: "."), !docId[dot...].contains("/") else { return false }
                return extensions.contains(docId[docId.index(after: dot)...].lowercased())
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }

    /// An upsert of each file-backed document `condition` selects (over
    /// `documents d` joined with their `files f`), read again from its file.
    static func fileUpserts(
        _ db: Database, where condition: String, arguments: StatementArguments, priority: Priority
    ) throws -> [Change] {
        try Row.fetchAll(db, sql: """
            SELECT d.tenant, d.doc_id, f.root, f.tenant_dir, f.path, f.content_hash FROM documents d
            JOIN files f ON f.tenant = d.tenant AND f.doc_id = d.doc_id
            WHERE \(condition)
            """, arguments: arguments
        ).map { row in
            let key = DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"]))
            return Change(reindexing: key, fileRow: row, priority: priority)
        }
    }

    public func requeueForRewrite(_ keys: [DocumentKey], extent: [DocumentKey: Int], priority: Priority) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("queueing documents to be written again") { db, effects in
            // A cleared settings fingerprint makes the next processing write the document even if its content is unchanged.
            let mark = try db.cachedStatement(sql: "UPDATE documents SET settings = '' WHERE tenant = ? AND doc_id = ?")
            let queued = try db.cachedStatement(sql: "SELECT 1 FROM queue WHERE tenant = ? AND doc_id = ?")
            let document = try db.cachedStatement(sql: "SELECT status, source, content_hash, meta FROM documents WHERE tenant = ? AND doc_id = ?")
            let file = try db.cachedStatement(sql: "SELECT root, tenant_dir, path, content_hash FROM files WHERE tenant = ? AND doc_id = ?")
            var changes: [Change] = []
            for key in Set(keys) {
                let arguments: StatementArguments = [key.tenant.rawValue, key.docId.rawValue]
                try mark.execute(arguments: arguments)
                // Recorded even without a known extent: the sink may hold points of the document
                // (that is why it is rewritten), so even a tombstone of an unknown one is sent.
                try SQLiteStore.raiseSinkExtent(db, key, to: max(1, extent[key] ?? 0))
                // A pending change is processed anyway, and now written in full.
                if try Bool.fetchOne(queued, arguments: arguments) != nil { continue }
                let row = try Row.fetchOne(document, arguments: arguments)
                let status = row.flatMap { DocumentState.Status(rawValue: $0["status"]) }
                if let row, status == .indexed || status == .skipped {
                    if row["source"] == "api" {
                        changes.append(Change(reindexing: key, publishedRow: row, priority: priority))
                        continue
                    }
                    if let location = try Row.fetchOne(file, arguments: arguments) {
                        changes.append(Change(reindexing: key, fileRow: location, priority: priority))
                        continue
                    }
                }
                // Deleted, unknown, or a file no longer recorded: a tombstone removes whatever the sink holds.
                changes.append(Change(
                    key: key, kind: .delete,
                    origin: .api(DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true)),
                    priority: priority))
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }
}

extension Change {
    /// An upsert that reads a file-backed document again from its file: `row`
    /// holds the `files` columns root, tenant_dir, path and content_hash.
    init(reindexing key: DocumentKey, fileRow row: Row, priority: Priority) {
        self.init(
            key: key, kind: .upsert,
            origin: .file(FileLocation(scanRoot: row["root"], tenantDirectory: row["tenant_dir"], path: row["path"])),
            contentHash: SQLiteStore.contentHash(row), priority: priority)
    }

    /// An upsert that processes a published document again from its stored
    /// content: `row` holds the `documents` columns content_hash and meta.
    init(reindexing key: DocumentKey, publishedRow row: Row, priority: Priority) {
        self.init(
            key: key, kind: .upsert, origin: .api(storedMeta: row["meta"], key: key),
            contentHash: SQLiteStore.contentHash(row), priority: priority)
    }
}
