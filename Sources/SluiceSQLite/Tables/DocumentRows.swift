import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
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
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
            status: DocumentState.Status(rawValue: row["status"]) ?? .indexed,
            contentHash: row["content_hash"], revision: row["revision"], chunkCount: row["chunk_count"],
            settingsFingerprint: row["settings"], source: row["source"], title: row["title"], reason: row["reason"],
            updatedAt: Timestamp(milliseconds: row["updated_at"]))
        processings = row["processings"]
        notes = (row["notes"] as String?)?.split(separator: "\n").map(String.init) ?? []
    }
}
