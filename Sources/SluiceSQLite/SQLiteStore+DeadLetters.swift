import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: DeadLetterAdministration {
    public func deadLetters(tenant: TenantID?, newest: Int?) async throws -> [DeadLetter] {
        try await read("reading dead letters") { db in
            let order = newest == nil ? "tenant, doc_id" : "last_change_at DESC, tenant, doc_id LIMIT :limit"
            let rows = try Row.fetchAll(db, sql: """
                SELECT tenant, doc_id, revision, attempts, last_error, last_change_at FROM queue
                WHERE state = \(QueueEntry.State.dead.sql) AND (:tenant IS NULL OR tenant = :tenant) ORDER BY \(order)
                """, arguments: ["tenant": tenant?.rawValue, "limit": newest ?? 0])
            return rows.map { row in
                DeadLetter(
                    key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
                    revision: row["revision"], attempts: row["attempts"],
                    reason: row["last_error"] ?? "unknown", since: Timestamp(milliseconds: row["last_change_at"]))
            }
        }
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
