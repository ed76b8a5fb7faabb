import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    /// The `content_hash` column of `row` (documents, files, queue, all BLOB):
    /// a document's content, or its tombstone's hash when it is deleted; nil
    /// when none is recorded (a skipped document that was never read).
    static func contentHash(_ row: Row) -> ContentHash? {
        (row["content_hash"] as Data?).map { ContentHash(bytes: Array($0)) }
    }

    /// Raises how far a document's points in the sink may reach (`sink_extents`), never lowering it.
    static func raiseSinkExtent(_ db: Database, _ key: DocumentKey, to extent: Int) throws {
        try db.cachedStatement(sql: """
            INSERT INTO sink_extents (tenant, doc_id, extent) VALUES (?, ?, ?)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET extent = max(extent, excluded.extent)
            """).execute(arguments: [key.tenant.rawValue, key.docId.rawValue, extent])
    }
}

extension DocumentState {
    init(row: Row) throws {
        let status = DocumentState.Status(rawValue: row["status"]) ?? .indexed
        let hash = SQLiteStore.contentHash(row)
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
            status: status,
            contentHash: hash.map { status == .deleted ? "tombstone:" + $0.hex : $0.hex } ?? "",
            revision: row["revision"], chunkCount: row["chunk_count"],
            settingsFingerprint: row["settings"], source: row["source"], title: row["title"], reason: row["reason"],
            updatedAt: Timestamp(milliseconds: row["updated_at"]))
        processings = row["processings"]
        notes = (row["notes"] as String?)?.split(separator: "\n").map(String.init) ?? []
    }
}
