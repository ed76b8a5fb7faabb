import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: FileStateStore {
    public func recordedFiles(root: String) async throws -> RecordedFiles {
        try await read("reading file state under \(root)") { db in
            var recorded = RecordedFiles()
            // Sized once: grown a row at a time, the dictionary was copied into larger storage again and again.
            recorded.states.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE root = ?", arguments: [root]) ?? 0)
            let states = try Row.fetchCursor(db, sql: "SELECT \(FileState.columns) FROM files WHERE root = ?", arguments: [root])
            while let row = try states.next() {
                let state = FileState(row: row)
                recorded.states[state.key] = state
            }
            let queued = try Row.fetchCursor(db, sql: """
                SELECT tenant, doc_id, tenant_dir, path FROM queue WHERE root = ? AND source = 'file' AND kind = 'upsert'
                """, arguments: [root])
            while let row = try queued.next() {
                let key = DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"]))
                guard recorded.states[key] == nil else { continue }
                recorded.queued[key] = FileLocation(scanRoot: root, tenantDirectory: row["tenant_dir"], path: row["path"])
            }
            return recorded
        }
    }

    public func fileDocuments(tenant: TenantID, under folder: String) async throws -> [DocumentKey] {
        try await read("listing documents under \(folder)") { db in
            // doc ids under "a/b" sort between "a/b/" and "a/b0" ('0' follows '/').
            let low = folder.isEmpty ? "" : folder + "/"
            let high = folder.isEmpty ? "\u{10FFFF}" : folder + "0"
            let ids = try String.fetchAll(db, sql: """
                SELECT doc_id FROM documents WHERE tenant = :tenant AND source = 'file' AND status != 'deleted'
                    AND doc_id >= :low AND doc_id < :high
                UNION SELECT doc_id FROM files WHERE tenant = :tenant AND doc_id >= :low AND doc_id < :high
                UNION SELECT doc_id FROM queue WHERE tenant = :tenant AND source = 'file' AND kind = 'upsert'
                    AND doc_id >= :low AND doc_id < :high
                """, arguments: ["tenant": tenant.rawValue, "low": low, "high": high])
            return ids.map { DocumentKey(tenant: tenant, docId: DocumentID(storedRawValue: $0)) }
        }
    }

    public func replaceProblems(_ problems: [ScanProblem], of tenants: [TenantID], includingRoot: Bool) async throws {
        let now = clock.now()
        let scopes = tenants.map(\.rawValue) + (includingRoot ? [""] : [])
        let byScope = Dictionary(grouping: problems, by: { $0.tenant ?? "" })
        try await write("recording scan problems") { db in
            for scope in scopes {
                try db.execute(sql: "DELETE FROM scan_problems WHERE tenant = ?", arguments: [scope])
                let found = byScope[scope] ?? []
                var kept = Array(Set(found.map(\.message)).sorted().prefix(ScanProblem.maxPerTenant))
                if found.count > kept.count {
                    kept.append("... and \(found.count - kept.count) more problems")
                }
                for message in kept {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO scan_problems (tenant, message, seen_at) VALUES (?, ?, ?)",
                        arguments: [scope, message, now.milliseconds])
                }
            }
        }
    }

    public func problems(tenant: TenantID?) async throws -> [ScanProblem] {
        try await read("reading scan problems") { db in
            let rows = if let tenant {
                try Row.fetchAll(db, sql: "SELECT tenant, message FROM scan_problems WHERE tenant = ? ORDER BY message", arguments: [tenant.rawValue])
            } else {
                try Row.fetchAll(db, sql: "SELECT tenant, message FROM scan_problems ORDER BY tenant, message")
            }
            return rows.map { row in
                let tenant: String = row["tenant"]
                return ScanProblem(tenant: tenant.isEmpty ? nil : tenant, message: row["message"])
            }
        }
    }

    @discardableResult
    public func applyScan(_ batch: ScanBatch) async throws -> [EnqueueOutcome] {
        guard !batch.isEmpty else { return [] }
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("recording scan results") { db, effects in
            for state in batch.fileStates {
                try SQLiteStore.saveFileState(db, state)
            }
            let remove = try db.cachedStatement(sql: "DELETE FROM files WHERE tenant = ? AND doc_id = ?")
            for key in batch.removedFiles {
                try remove.execute(arguments: [key.tenant.rawValue, key.docId.rawValue])
            }
            return try SQLiteStore.enqueue(db, batch.changes, now: now, settle: settle, effects: &effects)
        }
    }
}
