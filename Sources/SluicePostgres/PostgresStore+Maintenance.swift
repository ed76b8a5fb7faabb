import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: StoreMaintenance {
    public func purge(tenant: TenantID) async throws -> Int {
        try await transaction("purging tenant \(tenant)") { connection in
            let rows = try await connection.query("SELECT count(*) FROM documents WHERE tenant = \(tenant.rawValue)", logger: self.logger)
            let documents = try await rows.firstRow()?.decode(Int.self) ?? 0
            for table in ["chunks", "documents", "queue", "onboarding_starts", "files", "contents", "sink_extents", "scan_problems", "tenant_chunks"] {
                try await connection.query("DELETE FROM \(unescaped: table) WHERE tenant = \(tenant.rawValue)", logger: self.logger)
            }
            return documents
        }
    }

    public func metaValue(_ key: String) async throws -> String? {
        try await reading("reading \(key)") { connection in
            try await connection.query("SELECT value FROM meta WHERE key = \(key)", logger: self.logger).firstRow()?.decode(String.self)
        }
    }

    public func setMetaValue(_ key: String, _ value: String) async throws {
        _ = try await transaction("saving \(key)") { connection in
            try await connection.query(
                "INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                logger: self.logger)
        }
    }

    /// PostgreSQL keeps its own write-ahead log compact: nothing to do.
    public func checkpoint() async throws {}
}
