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
    /// The columns `init(row:)` reads, in its order.
    static let columns = "tenant, doc_id, root, tenant_dir, path, size, mtime_ns, ctime_ns, inode, content_hash, recorded_at_ns"

    /// A row of `columns`, read by position (by name, GRDB looks each up:
    /// a scan reads a row a file).
    init(row: Row) {
        let hash: Data = row[9]
        let inode: Int64 = row[8]
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: row[0]), docId: DocumentID(storedRawValue: row[1])),
            root: row[2], tenantDirectory: row[3], path: row[4],
            stat: FileStat(size: row[5], mtimeNanos: row[6], ctimeNanos: row[7], inode: UInt64(bitPattern: inode)),
            contentHash: ContentHash(bytes: Array(hash)), recordedAtNanos: row[10])
    }
}
