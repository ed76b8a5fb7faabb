/// Per-tenant counts for `status` and `tenants list`.
public struct TenantSummary: Sendable, Equatable, Codable {
    public var tenant: String
    public var indexed: Int
    public var skipped: Int
    public var deleted: Int
    public var pending: Int
    public var failed: Int
    public var chunks: Int
    public var lastActivity: Timestamp?

    public init(tenant: String, indexed: Int = 0, skipped: Int = 0, deleted: Int = 0, pending: Int = 0, failed: Int = 0, chunks: Int = 0, lastActivity: Timestamp? = nil) {
        self.tenant = tenant
        self.indexed = indexed
        self.skipped = skipped
        self.deleted = deleted
        self.pending = pending
        self.failed = failed
        self.chunks = chunks
        self.lastActivity = lastActivity
    }
}
