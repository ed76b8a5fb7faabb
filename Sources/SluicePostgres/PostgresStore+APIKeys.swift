import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: APIKeyStore {
    public func createKey(tenant: TenantID?, label: String?) async throws -> (record: APIKeyRecord, secret: String) {
        let (id, secret) = APIKeyRecord.newSecret()
        let record = try await transaction("creating an API key") { connection in
            let record = APIKeyRecord(id: id, tenant: tenant?.rawValue, label: label, createdAt: try await self.now(connection), revokedAt: nil)
            try await connection.query("""
                INSERT INTO api_keys (id, hash, tenant, label, created_at)
                VALUES (\(id), \(Data(ContentHash.of(secret).bytes)), \(record.tenant), \(label), \(record.createdAt.milliseconds))
                """, logger: self.logger)
            return record
        }
        return (record, secret)
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await reading("listing API keys") { connection in
            let rows = try await connection.query(
                "SELECT id, tenant, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id", logger: self.logger)
            var records: [APIKeyRecord] = []
            for try await (id, tenant, label, created, revoked) in rows.decode((String, String?, String?, Int64, Int64?).self) {
                records.append(APIKeyRecord(
                    id: id, tenant: tenant, label: label, createdAt: Timestamp(milliseconds: created),
                    revokedAt: revoked.map { Timestamp(milliseconds: $0) }))
            }
            return records
        }
    }

    public func revokeKey(id: String) async throws -> Bool {
        try await transaction("revoking an API key") { connection in
            let now = try await self.now(connection)
            let rows = try await connection.query(
                "UPDATE api_keys SET revoked_at = \(now.milliseconds) WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: self.logger)
            return try await rows.firstRow() != nil
        }
    }

    /// Read from the database on every request, so a key revoked by any
    /// process stops working at once everywhere.
    public func principal(forSecret secret: String) async throws -> Principal? {
        guard secret.hasPrefix("sk_"), secret.utf8.count <= 128 else { return nil }
        return try await reading("reading API keys") { connection in
            let rows = try await connection.query(
                "SELECT id, tenant FROM api_keys WHERE hash = \(Data(ContentHash.of(secret).bytes)) AND revoked_at IS NULL", logger: self.logger)
            for try await (id, tenant) in rows.decode((String, String?).self) {
                return tenant.map { .tenant(TenantID(storedRawValue: $0), keyID: id) } ?? .admin(keyID: id)
            }
            return nil
        }
    }

    public func hasActiveKeys() async throws -> Bool {
        try await reading("reading API keys") { connection in
            let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)", logger: self.logger)
            return try await rows.firstRow()?.decode(Bool.self) ?? false
        }
    }
}
