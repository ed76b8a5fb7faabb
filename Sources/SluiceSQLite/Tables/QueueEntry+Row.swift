import Foundation
import GRDB
import SluiceCore

extension QueueEntry {
    static let columns = """
        tenant, doc_id, revision, kind, source, root, tenant_dir, path, content_hash, priority, state, \
        first_change_at, last_change_at, ready_at, attempts, superseded, lease_expiries, \
        lease_token, lease_expires_at, lease_revision, last_error, enqueued_at, meta
        """

    init(row: Row) throws {
        let key = DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"]))
        let source: String = row["source"]
        let origin: Origin
        if source == "file", let root: String = row["root"], let tenantDirectory: String = row["tenant_dir"],
            let path: String = row["path"]
        {
            origin = .file(FileLocation(scanRoot: root, tenantDirectory: tenantDirectory, path: path))
        } else {
            origin = .api(storedMeta: row["meta"], key: key)
        }
        let hashData: Data? = row["content_hash"]
        var hold: Hold?
        if let token: String = row["lease_token"] {
            hold = Hold(
                token: token, expiresAt: Timestamp(milliseconds: row["lease_expires_at"]),
                revision: row["lease_revision"])
        }
        self.init(
            key: key,
            revision: row["revision"],
            kind: Change.Kind(rawValue: row["kind"]) ?? .upsert,
            origin: origin,
            contentHash: hashData.map { ContentHash(bytes: Array($0)) },
            priority: Priority(rawValue: row["priority"]) ?? .low,
            state: QueueEntry.State(rawValue: row["state"]) ?? .queued,
            firstChangeAt: Timestamp(milliseconds: row["first_change_at"]),
            lastChangeAt: Timestamp(milliseconds: row["last_change_at"]),
            readyAt: Timestamp(milliseconds: row["ready_at"]),
            attempts: row["attempts"],
            supersededCount: row["superseded"],
            leaseExpiries: row["lease_expiries"],
            hold: hold,
            lastError: row["last_error"],
            enqueuedAt: Timestamp(milliseconds: row["enqueued_at"]))
    }

    static func fetch(_ db: Database, _ key: DocumentKey) throws -> QueueEntry? {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM queue WHERE tenant = ? AND doc_id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [key.tenant.rawValue, key.docId.rawValue]) else {
            return nil
        }
        return try QueueEntry(row: row)
    }

    /// Inserts or replaces the row.
    /// Every column but the key, as an upsert's SET list.
    static let updates = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .filter { $0 != "tenant" && $0 != "doc_id" }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")

    /// Inserts or updates the row. An upsert rather than INSERT OR REPLACE, so the
    /// queue's triggers (onboarding progress) see an insert only for a new row.
    func save(_ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO queue (\(QueueEntry.columns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET \(QueueEntry.updates)
            """)
        var location: FileLocation?
        if case .file(let file) = origin { location = file }
        let meta = origin.metaJSON
        try statement.execute(arguments: [
            key.tenant.rawValue, key.docId.rawValue, revision, kind.rawValue, origin.sourceName, location?.scanRoot,
            location?.tenantDirectory, location?.path,
            contentHash.map { Data($0.bytes) }, priority.rawValue, state.rawValue,
            firstChangeAt.milliseconds, lastChangeAt.milliseconds, readyAt.milliseconds,
            attempts, supersededCount, leaseExpiries,
            hold?.token, hold?.expiresAt.milliseconds, hold?.revision, lastError, enqueuedAt.milliseconds, meta,
        ])
    }

    static func delete(_ db: Database, _ key: DocumentKey) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM queue WHERE tenant = ? AND doc_id = ?")
        try statement.execute(arguments: [key.tenant.rawValue, key.docId.rawValue])
    }
}

extension QueueEntry.State {
    /// The state as the `queue.state` column holds it, for queries:
    /// `WHERE state = \(QueueEntry.State.queued.sql)` rather than a bare 0.
    var sql: String { String(rawValue) }
}
