import SluiceCore

/// `GET /v1/tenants/{tenant}/progress`, and each tenant in `/v1/stats`.
struct TenantProgress: Encodable, Sendable {
    var tenant: String
    var indexed: Int
    var pending: Int
    var skipped: Int
    var failed: Int
    var deleted: Int
    var chunks: Int
    var lastActivity: Timestamp?
    /// The current or last onboarding: total, processed, failed, percent, rate and ETA.
    var onboarding: Onboarding?
    /// What the last scan of the tenant's folder found wrong (names skipped, bad ignore lines, unreadable folders).
    var scanProblems: [String]

    struct Onboarding: Encodable, Sendable {
        var startedAt: Timestamp
        var active: Bool
        var total: Int
        var processed: Int
        var failed: Int
        var pending: Int
        var percent: Double
        var filesPerMinute: Double
        var etaSeconds: Double?

        init(_ progress: OnboardingProgress) {
            startedAt = progress.startedAt
            active = progress.active
            total = progress.total
            processed = progress.processed
            failed = progress.failed
            pending = progress.pending
            percent = (progress.percent * 10).rounded() / 10
            filesPerMinute = progress.filesPerMinute.rounded()
            etaSeconds = progress.etaSeconds.map { $0.rounded() }
        }
    }

    init(_ summary: TenantSummary, onboarding: OnboardingProgress? = nil, scanProblems: [String] = []) {
        self.onboarding = onboarding.map(Onboarding.init)
        self.scanProblems = scanProblems
        tenant = summary.tenant
        indexed = summary.indexed
        pending = summary.pending
        skipped = summary.skipped
        failed = summary.failed
        deleted = summary.deleted
        chunks = summary.chunks
        lastActivity = summary.lastActivity
    }
}
