import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: DeadLetterAdministration {
    public func deadLetters(tenant: TenantID?, newest: Int?) async throws -> [DeadLetter] {
        try await reading("reading dead letters") { connection in
            // The newest walk queue_dead_by_time or queue_dead_by_tenant backwards (v8). The state is
            // written into the SQL and the tenant's condition only when there is one, so the partial
            // indexes match whatever plan the server makes (a generic plan knows no parameter's value).
            let order = switch (newest, tenant) {
            case (nil, _): "tenant, doc_id"
            case (let newest?, nil): "last_change_at DESC, tenant DESC, doc_id DESC LIMIT \(newest)"
            case (let newest?, _?): "last_change_at DESC, doc_id DESC LIMIT \(newest)"
            }
            let dead = "SELECT tenant, doc_id, revision, attempts, last_error, last_change_at FROM queue WHERE state = \(QueueEntry.State.dead.rawValue)"
            let query: PostgresQuery = if let tenant {
                "\(unescaped: dead) AND tenant = \(tenant.rawValue) ORDER BY \(unescaped: order)"
            } else {
                "\(unescaped: dead) ORDER BY \(unescaped: order)"
            }
            let rows = try await connection.query(query, logger: self.logger)
            var letters: [DeadLetter] = []
            for try await (tenant, docId, revision, attempts, reason, since) in rows.decode((String, String, Int64, Int, String?, Int64).self) {
                letters.append(DeadLetter(
                    key: DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId)),
                    revision: revision, attempts: attempts, reason: reason ?? "unknown", since: Timestamp(milliseconds: since)))
            }
            return letters
        }
    }

    @discardableResult
    public func retryDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int {
        try await enqueueing("retrying dead letters") { connection, now, effects in
            let entries = try await self.lockDeadEntries(connection, tenant: tenant, key: key)
            for var entry in entries {
                entry.revive(now: now)
                try await entry.save(connection, logger: self.logger)
                try await effects.pending(entry, wasPending: false, at: now, connection, logger: self.logger)
            }
            return entries.count
        }
    }

    @discardableResult
    public func dropDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int {
        try await transaction("dropping dead letters") { connection in
            let entries = try await self.lockDeadEntries(connection, tenant: tenant, key: key)
            for entry in entries {
                try await QueueEntry.delete(connection, entry.key, logger: self.logger)
                if case .api = entry.origin, let hash = entry.contentHash { try await self.releaseContent(connection, entry.key, hash) }
            }
            return entries.count
        }
    }

    /// The dead letters of one document, a tenant, or all, locked until the transaction ends.
    private func lockDeadEntries(_ connection: PostgresConnection, tenant: TenantID?, key: DocumentKey?) async throws -> [QueueEntry] {
        let rows = try await connection.query("""
            SELECT \(unescaped: QueueEntry.postgresColumns) FROM queue
            WHERE state = \(QueueEntry.State.dead.rawValue) AND (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
              AND (\(key?.docId.rawValue)::text IS NULL OR (tenant = \(key?.tenant.rawValue) AND doc_id = \(key?.docId.rawValue)))
            ORDER BY tenant, doc_id
            FOR UPDATE
            """, logger: logger)
        var entries: [QueueEntry] = []
        for try await row in rows { entries.append(try QueueEntry(postgres: row)) }
        return entries
    }
}
