import Foundation
import GRDB
import SluiceCore

extension QueueEntry {
    /// The queue's columns, in the order every statement here selects and inserts them.
    enum Column: Int32, CaseIterable {
        case tenant, docId, revision, kind, source, root, tenantDirectory, path, contentHash, priority, state
        case firstChangeAt, lastChangeAt, readyAt, attempts, superseded, leaseExpiries
        case leaseToken, leaseExpiresAt, leaseRevision, lastError, enqueuedAt, meta

        var name: String {
            switch self {
            case .tenant: "tenant"
            case .docId: "doc_id"
            case .revision: "revision"
            case .kind: "kind"
            case .source: "source"
            case .root: "root"
            case .tenantDirectory: "tenant_dir"
            case .path: "path"
            case .contentHash: "content_hash"
            case .priority: "priority"
            case .state: "state"
            case .firstChangeAt: "first_change_at"
            case .lastChangeAt: "last_change_at"
            case .readyAt: "ready_at"
            case .attempts: "attempts"
            case .superseded: "superseded"
            case .leaseExpiries: "lease_expiries"
            case .leaseToken: "lease_token"
            case .leaseExpiresAt: "lease_expires_at"
            case .leaseRevision: "lease_revision"
            case .lastError: "last_error"
            case .enqueuedAt: "enqueued_at"
            case .meta: "meta"
            }
        }
    }

    /// `SELECT \(columns) FROM queue ...` gives the rows `init(_:)` reads.
    static let columns = Column.allCases.map(\.name).joined(separator: ", ")

    /// Reads a row selected with `columns`.
    init(_ row: RowStepper.Columns) {
        func string(_ column: Column) -> String? { row.string(column.rawValue) }
        func int64(_ column: Column) -> Int64 { row.int64(column.rawValue) }
        let key = DocumentKey(
            tenant: TenantID(storedRawValue: string(.tenant) ?? ""), docId: DocumentID(storedRawValue: string(.docId) ?? ""))
        let origin: Origin
        if string(.source) == "file", let root = string(.root), let tenantDirectory = string(.tenantDirectory),
            let path = string(.path)
        {
            origin = .file(FileLocation(scanRoot: root, tenantDirectory: tenantDirectory, path: path))
        } else {
            origin = .api(storedMeta: string(.meta), key: key)
        }
        var hold: Hold?
        if let token = string(.leaseToken) {
            hold = Hold(token: token, expiresAt: Timestamp(milliseconds: int64(.leaseExpiresAt)), revision: int64(.leaseRevision))
        }
        self.init(
            key: key,
            revision: int64(.revision),
            kind: string(.kind).flatMap(Change.Kind.init(rawValue:)) ?? .upsert,
            origin: origin,
            contentHash: row.data(Column.contentHash.rawValue).map { ContentHash(bytes: Array($0)) },
            priority: Priority(rawValue: Int(int64(.priority))) ?? .low,
            state: QueueEntry.State(rawValue: Int(int64(.state))) ?? .queued,
            firstChangeAt: Timestamp(milliseconds: int64(.firstChangeAt)),
            lastChangeAt: Timestamp(milliseconds: int64(.lastChangeAt)),
            readyAt: Timestamp(milliseconds: int64(.readyAt)),
            attempts: Int(int64(.attempts)),
            supersededCount: Int(int64(.superseded)),
            leaseExpiries: Int(int64(.leaseExpiries)),
            hold: hold,
            lastError: string(.lastError),
            enqueuedAt: Timestamp(milliseconds: int64(.enqueuedAt)))
    }

    static func fetch(_ db: Database, _ key: DocumentKey) throws -> QueueEntry? {
        try fetch(key, with: db.cachedStatement(sql: selectByKeySQL), in: db)
    }

    /// The row of `key`, read with `select` (prepared from `selectByKeySQL`).
    static func fetch(_ key: DocumentKey, with select: Statement, in db: Database) throws -> QueueEntry? {
        let select = RowStepper(select, in: db)
        try select.bind(1, key.tenant.rawValue)
        try select.bind(2, key.docId.rawValue)
        return try select.first(QueueEntry.init)
    }

    /// The rows `statement` (which selects `columns`) returns.
    static func fetchAll(_ statement: RowStepper) throws -> [QueueEntry] {
        try statement.rows(QueueEntry.init)
    }

    /// Inserts a row, or updates every column but the key of the one there.
    /// An upsert rather than INSERT OR REPLACE, so a row is never deleted and
    /// inserted again. Made once: building it cost as much as binding it.
    static let upsertSQL = """
        INSERT INTO queue (\(columns))
        VALUES (\(Column.allCases.map { _ in "?" }.joined(separator: ", ")))
        ON CONFLICT (tenant, doc_id) DO UPDATE SET \(
            Column.allCases.filter { $0 != .tenant && $0 != .docId }.map { "\($0.name) = excluded.\($0.name)" }.joined(separator: ", "))
        """

    static let selectByKeySQL = "SELECT \(columns) FROM queue WHERE tenant = ? AND doc_id = ?"

    /// Inserts or updates the row.
    func save(_ db: Database) throws {
        try save(with: db.cachedStatement(sql: QueueEntry.upsertSQL), in: db)
    }

    /// Inserts or updates the row with `upsert` (prepared from `upsertSQL`).
    func save(with upsert: Statement, in db: Database) throws {
        let upsert = RowStepper(upsert, in: db)
        func bind(_ column: Column, _ value: String?) throws { try upsert.bind(column.rawValue + 1, value) }
        func bind(_ column: Column, _ value: Int64?) throws { try upsert.bind(column.rawValue + 1, value) }
        var location: FileLocation?
        if case .file(let file) = origin { location = file }
        try bind(.tenant, key.tenant.rawValue)
        try bind(.docId, key.docId.rawValue)
        try bind(.revision, revision)
        try bind(.kind, kind.rawValue)
        try bind(.source, origin.sourceName)
        try bind(.root, location?.scanRoot)
        try bind(.tenantDirectory, location?.tenantDirectory)
        try bind(.path, location?.path)
        try upsert.bind(Column.contentHash.rawValue + 1, blob: contentHash?.bytes)
        try bind(.priority, Int64(priority.rawValue))
        try bind(.state, Int64(state.rawValue))
        try bind(.firstChangeAt, firstChangeAt.milliseconds)
        try bind(.lastChangeAt, lastChangeAt.milliseconds)
        try bind(.readyAt, readyAt.milliseconds)
        try bind(.attempts, Int64(attempts))
        try bind(.superseded, Int64(supersededCount))
        try bind(.leaseExpiries, Int64(leaseExpiries))
        try bind(.leaseToken, hold?.token)
        try bind(.leaseExpiresAt, hold?.expiresAt.milliseconds)
        try bind(.leaseRevision, hold?.revision)
        try bind(.lastError, lastError)
        try bind(.enqueuedAt, enqueuedAt.milliseconds)
        try bind(.meta, origin.metaJSON)
        try upsert.execute()
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
