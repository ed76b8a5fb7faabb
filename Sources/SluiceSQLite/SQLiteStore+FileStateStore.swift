import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: FileStateStore {
    public func fileStates(root: String) async throws -> [DocumentKey: FileState] {
        try await read("reading file state under \(root)") { db in
            var states: [DocumentKey: FileState] = [:]
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM files WHERE root = ?", arguments: [root])
            while let row = try cursor.next() {
                let state = try FileState(row: row)
                states[state.key] = state
            }
            return states
        }
    }

    @discardableResult
    public func applyScan(_ batch: ScanBatch) async throws -> [EnqueueOutcome] {
        guard !batch.isEmpty else { return [] }
        let now = clock.now()
        let settle = options.settle
        return try await write("recording scan results") { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO files
                    (tenant, doc_id, root, tenant_dir, path, size, mtime_ns, ctime_ns, inode, content_hash, recorded_at_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for state in batch.fileStates {
                try upsert.execute(arguments: [
                    state.key.tenant.rawValue, state.key.docId.rawValue, state.root, state.tenantDirectory, state.path, state.stat.size,
                    state.stat.mtimeNanos, state.stat.ctimeNanos, Int64(bitPattern: state.stat.inode),
                    Data(state.contentHash.bytes), state.recordedAtNanos,
                ])
            }
            let remove = try db.cachedStatement(sql: "DELETE FROM files WHERE tenant = ? AND doc_id = ?")
            for key in batch.removedFiles {
                try remove.execute(arguments: [key.tenant.rawValue, key.docId.rawValue])
            }
            return try SQLiteStore.enqueue(db, batch.changes, now: now, settle: settle)
        }
    }
}

extension FileState {
    init(row: Row) throws {
        let hash: Data = row["content_hash"]
        let inode: Int64 = row["inode"]
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
            root: row["root"], tenantDirectory: row["tenant_dir"], path: row["path"],
            stat: FileStat(size: row["size"], mtimeNanos: row["mtime_ns"], ctimeNanos: row["ctime_ns"], inode: UInt64(bitPattern: inode)),
            contentHash: ContentHash(bytes: Array(hash)), recordedAtNanos: row["recorded_at_ns"])
    }
}
