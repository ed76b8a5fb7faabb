/// Who a request acts for.
public enum Principal: Sendable, Equatable {
    /// An admin key: every tenant.
    case admin(keyID: String)
    /// A tenant key: that tenant only.
    case tenant(TenantID, keyID: String)
    /// No key exists and the client is on loopback: the keyless local mode.
    case local

    /// Whether this principal may act on `tenant`.
    public func reaches(_ tenant: TenantID) -> Bool {
        switch self {
        case .admin, .local: true
        case .tenant(let own, _): own == tenant
        }
    }

    public var isAdmin: Bool {
        switch self {
        case .admin, .local: true
        case .tenant: false
        }
    }

    /// The key the request's rate limit is counted against.
    public var keyID: String? {
        switch self {
        case .admin(let id), .tenant(_, let id): id
        case .local: nil
        }
    }
}

/// An API key as listed (never its secret).
public struct APIKeyRecord: Sendable, Equatable, Codable {
    public var id: String
    /// nil for an admin key.
    public var tenant: String?
    public var label: String?
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, tenant: String?, label: String?, createdAt: Timestamp, revokedAt: Timestamp?) {
        self.id = id
        self.tenant = tenant
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

extension APIKeyRecord {
    /// A new key's id and secret: 256 random bits, of which stores keep only the SHA-256.
    public static func newSecret() -> (id: String, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = "sk_" + (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
        let id = "key_" + (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
        return (id, secret)
    }
}

/// API keys, stored as SHA-256 hashes of 256-bit random secrets.
///
/// Lookups hit the store on every request, so a revoked key stops working
/// at once, also on a running server.
public protocol APIKeyStore: Sendable {
    /// Creates a key; the secret is returned once and never stored.
    func createKey(tenant: TenantID?, label: String?) async throws -> (record: APIKeyRecord, secret: String)
    func keys() async throws -> [APIKeyRecord]
    /// Returns false when there is no such active key.
    func revokeKey(id: String) async throws -> Bool
    /// The principal of an active key, nil for an unknown or revoked one.
    func principal(forSecret secret: String) async throws -> Principal?
    func hasActiveKeys() async throws -> Bool
}
