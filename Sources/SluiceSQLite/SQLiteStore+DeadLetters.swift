import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: DeadLetterAdministration {
    public func deadLetters(tenant: TenantID?, newest: Int?) async throws -> [DeadLetter] {
        try await read("reading dead letters") { db in
            var arguments: StatementArguments = [:]
            if let tenant { arguments += ["tenant": tenant.rawValue] }
            if let newest { arguments += ["limit": newest] }
            let rows = try Row.fetchAll(db, sql: SQLiteStore.deadLettersSQL(oneTenant: tenant != nil, newest: newest != nil), arguments: arguments)
            return rows.map { row in
                DeadLetter(
                    key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
                    revision: row["revision"], attempts: row["attempts"],
                    reason: row["last_error"] ?? "unknown", since: Timestamp(milliseconds: row["last_change_at"]))
            }
        }
    }

    /// All dead letters by tenant and document, or the newest: these walk `queue_dead_by_time` or
    /// `queue_dead_by_tenant` backwards (v19), reading no more rows than they return.
    static func deadLettersSQL(oneTenant: Bool, newest: Bool) -> String {
        // The planner would rather take the state's range of `queue_by_tenant_readiness` and sort it.
        let (index, order) = switch (newest, oneTenant) {
        case (false, _): ("", "tenant, doc_id")
        case (true, false): ("INDEXED BY queue_dead_by_time", "last_change_at DESC, tenant DESC, doc_id DESC LIMIT :limit")
        case (true, true): ("INDEXED BY queue_dead_by_tenant", "last_change_at DESC, doc_id DESC LIMIT :limit")
        }
        return """
            SELECT tenant, doc_id, revision, attempts, last_error, last_change_at FROM queue \(index)
            WHERE state = \(QueueEntry.State.dead.sql) \(oneTenant ? "AND tenant = :tenant" : "") ORDER BY \(order)
            """
    }

    @discardableResult
    public func retryDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int {
        let now = clock.now()
        return try await enqueueing("retrying dead letters") { db, effects in
            let entries = try SQLiteStore.deadEntries(db, tenant: tenant, key: key)
            for var entry in entries {
                entry.revive(now: now)
                try entry.save(db)
                try effects.pending(entry, wasPending: false, at: now, db)
            }
            return entries.count
        }
    }

    @discardableResult
    public func dropDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int {
        try await write("dropping dead letters") { db in
            let entries = try SQLiteStore.deadEntries(db, tenant: tenant, key: key)
            for entry in entries {
                try QueueEntry.delete(db, entry.key)
                if case .api = entry.origin, let hash = entry.contentHash { try SQLiteStore.releaseContent(db, entry.key, hash) }
            }
            return entries.count
        }
    }
}
