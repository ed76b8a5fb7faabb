import Foundation
import PostgresNIO
import SluiceCore

/// `queue` rows as `QueueEntry` values: the queue's rules are the domain's
/// (`QueueEntry`'s transitions); this backend only fetches, locks and saves.
extension QueueEntry {
    static let postgresColumns = """
        tenant, doc_id, revision, kind, source, root, tenant_dir, path, content_hash, priority, state, \
        first_change_at, last_change_at, ready_at, attempts, superseded, lease_expiries, \
        lease_token, lease_expires_at, lease_revision, last_error, enqueued_at, meta
        """

    init(postgres row: PostgresRow) throws {
        let (tenant, docId, revision, kind, source, root, tenantDirectory, path, hash, priority, state) =
            try row.decode((String, String, Int64, String, String, String?, String?, String?, Data?, Int, Int).self)
        let columns = row.makeRandomAccess()
        let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
        let origin: Origin
        if source == "file", let root, let tenantDirectory, let path {
            origin = .file(FileLocation(scanRoot: root, tenantDirectory: tenantDirectory, path: path))
        } else {
            origin = .api(storedMeta: try columns["meta"].decode(String?.self), key: key)
        }
        var hold: Hold?
        if let token = try columns["lease_token"].decode(String?.self) {
            hold = Hold(
                token: token, expiresAt: Timestamp(milliseconds: try columns["lease_expires_at"].decode(Int64.self)),
                revision: try columns["lease_revision"].decode(Int64.self))
        }
        func time(_ column: String) throws -> Timestamp { Timestamp(milliseconds: try columns[column].decode(Int64.self)) }
        self.init(
            key: key, revision: revision, kind: Change.Kind(rawValue: kind) ?? .upsert, origin: origin,
            contentHash: hash.map { ContentHash(bytes: Array($0)) }, priority: Priority(rawValue: priority) ?? .low,
            state: QueueEntry.State(rawValue: state) ?? .queued,
            firstChangeAt: try time("first_change_at"), lastChangeAt: try time("last_change_at"), readyAt: try time("ready_at"),
            attempts: try columns["attempts"].decode(Int.self), supersededCount: try columns["superseded"].decode(Int.self),
            leaseExpiries: try columns["lease_expiries"].decode(Int.self), hold: hold,
            lastError: try columns["last_error"].decode(String?.self), enqueuedAt: try time("enqueued_at"))
    }

    /// The row of `key`, locked until the transaction ends (`FOR UPDATE`).
    static func lock(_ connection: PostgresConnection, _ key: DocumentKey, logger: Logger) async throws -> QueueEntry? {
        let rows = try await connection.query("""
            SELECT \(unescaped: postgresColumns) FROM queue WHERE tenant = \(key.tenant.rawValue) AND doc_id = \(key.docId.rawValue)
            FOR UPDATE
            """, logger: logger)
        return try await rows.firstRow().map(QueueEntry.init(postgres:))
    }

    /// Inserts or updates the row.
    func save(_ connection: PostgresConnection, logger: Logger) async throws {
        try await QueueEntry.saveAll([self], connection, logger: logger)
    }

    static func delete(_ connection: PostgresConnection, _ key: DocumentKey, logger: Logger) async throws {
        try await deleteAll(connection, [key], logger: logger)
    }

    /// The rows of `keys` that exist, locked until the transaction ends
    /// (`FOR UPDATE`), in one statement. Rows are locked in key order (bytes,
    /// as `PostgresStore.keyOrder`), as every transaction locks them.
    static func lockAll(_ connection: PostgresConnection, _ keys: [DocumentKey], logger: Logger) async throws -> [DocumentKey: QueueEntry] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.run(LockAll(keys: keys), logger: logger)
        var entries: [DocumentKey: QueueEntry] = [:]
        for row in rows {
            let entry = try QueueEntry(postgres: row)
            entries[entry.key] = entry
        }
        return entries
    }

    /// `lockAll`, with the transaction's time read in the same statement
    /// (`clock`'s, when a test set one): nil when no row exists.
    static func lockAllWithTime(
        _ connection: PostgresConnection, _ keys: [DocumentKey], clock: Timestamp?, logger: Logger
    ) async throws -> (entries: [DocumentKey: QueueEntry], now: Timestamp?) {
        guard !keys.isEmpty else { return ([:], nil) }
        var entries: [DocumentKey: QueueEntry] = [:]
        var now: Timestamp?
        for row in try await connection.run(LockAllWithTime(keys: keys, clock: clock?.milliseconds), logger: logger) {
            let entry = try QueueEntry(postgres: row)
            entries[entry.key] = entry
            now = Timestamp(milliseconds: try row.makeRandomAccess()["transaction_time"].decode(Int64.self))
        }
        return (entries, now)
    }

    private struct LockAllWithTime: PreparedStatement {
        static let sql = """
            SELECT \(QueueEntry.postgresColumns), coalesce($3::int8, \(PostgresStore.transactionTimeSQL)) AS transaction_time FROM queue
            WHERE (tenant, doc_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            ORDER BY tenant COLLATE "C", doc_id COLLATE "C"
            FOR UPDATE
            """
        let keys: [DocumentKey]
        let clock: Int64?

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys: keys)
            bindings.append(clock)
            return bindings
        }
    }

    private struct LockAll: KeysStatement {
        static let sql = """
            SELECT \(QueueEntry.postgresColumns) FROM queue
            WHERE (tenant, doc_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            ORDER BY tenant COLLATE "C", doc_id COLLATE "C"
            FOR UPDATE
            """
        let keys: [DocumentKey]
    }

    /// Inserts or updates the rows of `given` in one statement (nullable
    /// columns travel as arrays with an empty value or -1 for NULL: postgres-nio's
    /// arrays hold no NULLs).
    static func saveAll(_ given: [QueueEntry], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !given.isEmpty else { return }
        // One statement may not write a row twice: of a document given twice, the last.
        var last: [DocumentKey: Int] = [:]
        for (index, entry) in given.enumerated() { last[entry.key] = index }
        let entries = last.count == given.count ? given : given.indices.filter { last[given[$0].key] == $0 }.map { given[$0] }
        try await connection.run(SaveAll(entries), logger: logger)
    }

    private struct SaveAll: PreparedStatement {
        static let sql = """
            INSERT INTO queue (\(QueueEntry.postgresColumns))
            SELECT tenant, doc_id, revision, kind, source, NULLIF(root, ''), NULLIF(tenant_dir, ''), NULLIF(path, ''),
                   NULLIF(content_hash, ''::bytea), priority, state, first_change_at, last_change_at, ready_at, attempts, superseded,
                   lease_expiries, NULLIF(lease_token, ''), NULLIF(lease_expires_at, -1), NULLIF(lease_revision, -1),
                   NULLIF(last_error, ''), enqueued_at, NULLIF(meta, '')
            FROM unnest(
                $1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[],
                $10::int8[], $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[],
                $18::text[], $19::int8[], $20::int8[], $21::text[], $22::int8[], $23::text[]
            ) AS r(tenant, doc_id, revision, kind, source, root, tenant_dir, path, content_hash, priority, state, first_change_at,
                   last_change_at, ready_at, attempts, superseded, lease_expiries, lease_token, lease_expires_at, lease_revision,
                   last_error, enqueued_at, meta)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET
                revision = excluded.revision, kind = excluded.kind, source = excluded.source, root = excluded.root,
                tenant_dir = excluded.tenant_dir, path = excluded.path, content_hash = excluded.content_hash,
                priority = excluded.priority, state = excluded.state, first_change_at = excluded.first_change_at,
                last_change_at = excluded.last_change_at, ready_at = excluded.ready_at, attempts = excluded.attempts,
                superseded = excluded.superseded, lease_expiries = excluded.lease_expiries,
                lease_token = excluded.lease_token, lease_expires_at = excluded.lease_expires_at,
                lease_revision = excluded.lease_revision, last_error = excluded.last_error,
                enqueued_at = excluded.enqueued_at, meta = excluded.meta
            """
        let entries: [QueueEntry]

        init(_ entries: [QueueEntry]) { self.entries = entries }

        func makeBindings() -> PostgresBindings {
            func location(_ entry: QueueEntry) -> FileLocation? {
                if case .file(let file) = entry.origin { return file }
                return nil
            }
            var bindings = PostgresBindings(capacity: 23)
            bindings.append(entries.map(\.key.tenant.rawValue))
            bindings.append(entries.map(\.key.docId.rawValue))
            bindings.append(entries.map(\.revision))
            bindings.append(entries.map(\.kind.rawValue))
            bindings.append(entries.map(\.origin.sourceName))
            bindings.append(entries.map { location($0)?.scanRoot ?? "" })
            bindings.append(entries.map { location($0)?.tenantDirectory ?? "" })
            bindings.append(entries.map { location($0)?.path ?? "" })
            bindings.append(entries.map { ByteBuffer(bytes: $0.contentHash?.bytes ?? []) })
            bindings.append(entries.map(\.priority.rawValue))
            bindings.append(entries.map(\.state.rawValue))
            bindings.append(entries.map(\.firstChangeAt.milliseconds))
            bindings.append(entries.map(\.lastChangeAt.milliseconds))
            bindings.append(entries.map(\.readyAt.milliseconds))
            bindings.append(entries.map(\.attempts))
            bindings.append(entries.map(\.supersededCount))
            bindings.append(entries.map(\.leaseExpiries))
            bindings.append(entries.map { $0.hold?.token ?? "" })
            bindings.append(entries.map { $0.hold?.expiresAt.milliseconds ?? -1 })
            bindings.append(entries.map { $0.hold?.revision ?? -1 })
            bindings.append(entries.map { $0.lastError ?? "" })
            bindings.append(entries.map(\.enqueuedAt.milliseconds))
            bindings.append(entries.map { $0.origin.metaJSON ?? "" })
            return bindings
        }
    }

    static func deleteAll(_ connection: PostgresConnection, _ keys: [DocumentKey], logger: Logger) async throws {
        guard !keys.isEmpty else { return }
        try await connection.run(DeleteAll(keys: keys), logger: logger)
    }

    private struct DeleteAll: KeysStatement {
        static let sql = "DELETE FROM queue WHERE (tenant, doc_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
        let keys: [DocumentKey]
    }
}
