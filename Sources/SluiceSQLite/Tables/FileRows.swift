import Foundation
import GRDB
import SluiceCore

/// Rows of `files`: what a scan recorded about each file.
extension SQLiteStore {
    static func saveFileState(_ db: Database, _ state: FileState) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO files
                (tenant, doc_id, root, tenant_dir, path, size, mtime_ns, ctime_ns, inode, content_hash, recorded_at_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                state.key.tenant.rawValue, state.key.docId.rawValue, state.root, state.tenantDirectory, state.path,
                state.stat.size, state.stat.mtimeNanos, state.stat.ctimeNanos, Int64(bitPattern: state.stat.inode),
                Data(state.contentHash.bytes), state.recordedAtNanos,
            ])
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
