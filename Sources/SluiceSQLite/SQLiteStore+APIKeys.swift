import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: APIKeyStore {
    public func createKey(tenant: TenantID?, label: String?) async throws -> (record: APIKeyRecord, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = "sk_" + (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
        let id = "key_" + (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
        let record = APIKeyRecord(id: id, tenant: tenant?.rawValue, label: label, createdAt: clock.now(), revokedAt: nil)
        try await write("creating an API key") { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, hash, tenant, label, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, Data(ContentHash.of(secret).bytes), record.tenant, label, record.createdAt.milliseconds])
        }
        return (record, secret)
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await read("listing API keys") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").map { row in
                APIKeyRecord(
                    id: row["id"], tenant: row["tenant"], label: row["label"],
                    createdAt: Timestamp(milliseconds: row["created_at"]),
                    revokedAt: (row["revoked_at"] as Int64?).map { Timestamp(milliseconds: $0) })
            }
        }
    }

    public func revokeKey(id: String) async throws -> Bool {
        let now = clock.now()
        return try await write("revoking an API key") { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now.milliseconds, id])
            return db.changesCount > 0
        }
    }

    public func principal(forSecret secret: String) async throws -> Principal? {
        guard secret.hasPrefix("sk_"), secret.utf8.count <= 128 else { return nil }
        let hash = Data(ContentHash.of(secret).bytes)
        return try readNow("checking an API key") { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, tenant FROM api_keys WHERE hash = ? AND revoked_at IS NULL"), arguments: [hash])
            else { return nil }
            let id: String = row["id"]
            if let tenant: String = row["tenant"] { return .tenant(TenantID(storedRawValue: tenant), keyID: id) }
            return .admin(keyID: id)
        }
    }

    public func hasActiveKeys() async throws -> Bool {
        try readNow("checking for API keys") { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)")) ?? false
        }
    }
}
