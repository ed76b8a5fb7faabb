import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: StoreMaintenance {
    public func purge(tenant: TenantID) async throws -> Int {
        try await write("purging tenant \(tenant)") { db in
            let documents = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents WHERE tenant = ?", arguments: [tenant.rawValue]) ?? 0
            for table in ["chunks", "documents", "queue", "onboarding_starts", "files", "contents", "sink_extents", "scan_problems", "tenant_chunks"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE tenant = ?", arguments: [tenant.rawValue])
            }
            return documents
        }
    }

    /// Reads a value from the `meta` table.
    public func metaValue(_ key: String) async throws -> String? {
        try await read("reading \(key)") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
        }
    }

    public func setMetaValue(_ key: String, _ value: String) async throws {
        try await write("saving \(key)") { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    /// Checkpoints the WAL into the main file, so it does not keep growing.
    public func checkpoint() async throws {
        do {
            try await pool.writeWithoutTransaction { db in
                walCheckpointer.waitUntilIdle()
                _ = try db.checkpoint(.truncate)
            }
        } catch {
            throw SQLiteStore.wrap(error, "checkpointing", store: path)
        }
    }
}
