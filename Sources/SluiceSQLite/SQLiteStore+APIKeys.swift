import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: APIKeyStore {
    public func createKey(tenant: TenantID?, label: String?) async throws -> (record: APIKeyRecord, secret: String) {
        let (id, secret) = APIKeyRecord.newSecret()
        let record = APIKeyRecord(id: id, tenant: tenant?.rawValue, label: label, createdAt: clock.now(), revokedAt: nil)
        try await write("creating an API key") { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, hash, tenant, label, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, Data(ContentHash.of(secret).bytes), record.tenant, label, record.createdAt.milliseconds])
        }
        try keyCache.keysChanged()
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
        let revoked = try await write("revoking an API key") { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now.milliseconds, id])
            return db.changesCount > 0
        }
        if revoked { try keyCache.keysChanged() }
        return revoked
    }

    public func principal(forSecret secret: String) async throws -> Principal? {
        guard secret.hasPrefix("sk_"), secret.utf8.count <= 128 else { return nil }
        return try await activeKeys()[Data(ContentHash.of(secret).bytes)]
    }

    public func hasActiveKeys() async throws -> Bool {
        try await !activeKeys().isEmpty
    }

    /// The active keys by secret hash, from memory unless they changed (see `KeyCache`).
    func activeKeys() async throws -> KeyCache.Keys {
        try await keyCache.keys {
            try await read("reading API keys") { db in
                var keys: KeyCache.Keys = [:]
                for row in try Row.fetchAll(db, sql: "SELECT id, hash, tenant FROM api_keys WHERE revoked_at IS NULL") {
                    let id: String = row["id"]
                    let tenant: String? = row["tenant"]
                    keys[row["hash"]] = tenant.map { .tenant(TenantID(storedRawValue: $0), keyID: id) } ?? .admin(keyID: id)
                }
                return keys
            }
        }
    }
}
