import Foundation
import GRDB
import SluiceCore

/// Writes to `contents`, the published documents' stored content (a
/// publication stores it: `publish`).
extension SQLiteStore {
    /// Deletes a document's stored content once neither the document, indexed
    /// from it, nor its queued change refers to it. A skipped document keeps
    /// none: content no chunk counts (binary, unsupported, over the tenant's
    /// quota) would otherwise stay until the document is deleted.
    static func releaseContent(_ db: Database, _ key: DocumentKey, _ hash: ContentHash) throws {
        let blob = Data(hash.bytes)
        let used = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM documents WHERE tenant = :tenant AND doc_id = :docId
                               AND content_hash = :blob AND source = 'api' AND status = 'indexed')
                OR EXISTS (SELECT 1 FROM queue WHERE tenant = :tenant AND doc_id = :docId AND content_hash = :blob)
            """), arguments: ["tenant": key.tenant.rawValue, "docId": key.docId.rawValue, "blob": blob]) ?? false
        if !used {
            try db.cachedStatement(sql: "DELETE FROM contents WHERE tenant = ? AND doc_id = ? AND hash = ?")
                .execute(arguments: [key.tenant.rawValue, key.docId.rawValue, blob])
        }
    }
}
