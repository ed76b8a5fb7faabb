import SluiceCore
import Testing

/// `APIKeyStore`: keys resolve to their principal, are listed without their
/// secret, and a key revoked through one handle stops working at once
/// through another (another process). Run by every backend's tests.
public struct APIKeyConformance: Sendable {
    let fixture: StoreFixture
    var store: ConformingStore { fixture.store }

    public init(_ factory: StoreFactory) async throws {
        fixture = try await StoreFixture(factory)
    }

    public func keysResolveAndARevocationReachesEveryHandleAtOnce() async throws {
        let other = try await fixture.reopened()
        #expect(try await other.hasActiveKeys() == false)
        let admin = try await store.createKey(tenant: nil, label: "ops")
        let tenant = try await store.createKey(tenant: try TenantID("acme"), label: nil)
        #expect(admin.secret.hasPrefix("sk_") && admin.secret != tenant.secret)
        #expect(try await other.principal(forSecret: admin.secret) == .admin(keyID: admin.record.id))
        #expect(try await other.principal(forSecret: tenant.secret) == .tenant(try TenantID("acme"), keyID: tenant.record.id))
        #expect(try await other.principal(forSecret: "sk_" + String(repeating: "0", count: 64)) == nil)
        #expect(try await other.principal(forSecret: "not-a-key") == nil)
        #expect(try await other.keys().map(\.id).sorted() == [admin.record.id, tenant.record.id].sorted())
        #expect(try await other.hasActiveKeys())

        // One handle revokes; the other sees it on the next lookup (a running server's next request).
        #expect(try await store.revokeKey(id: tenant.record.id))
        #expect(try await store.revokeKey(id: tenant.record.id) == false, "already revoked")
        #expect(try await other.principal(forSecret: tenant.secret) == nil)
        #expect(try await other.keys().first { $0.id == tenant.record.id }?.revokedAt != nil)
        #expect(try await store.revokeKey(id: admin.record.id))
        #expect(try await other.hasActiveKeys() == false)
    }
}
