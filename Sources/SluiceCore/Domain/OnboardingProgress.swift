/// A tenant's current (or last) onboarding: it starts when a change enters
/// the tenant's empty backlog and ends when the backlog is empty again.
/// Counts cover the documents queued since it started; derived from the
/// store, so they survive a restart.
public struct OnboardingProgress: Sendable, Equatable, Codable {
    public var tenant: String
    public var startedAt: Timestamp
    /// Documents queued since the onboarding started.
    public var total: Int
    public var processed: Int
    public var failed: Int
    /// Documents still waiting or in progress.
    public var pending: Int
    /// Whether the backlog is not empty yet.
    public var active: Bool
    /// Share of `total` done (processed or failed), 0 to 100.
    public var percent: Double
    /// Documents finished per minute over the last minute (or since the start, if sooner).
    public var filesPerMinute: Double
    /// Seconds until the backlog is empty at that rate; nil when done or when nothing finished yet.
    public var etaSeconds: Double?

    public init(
        tenant: String, startedAt: Timestamp, total: Int, processed: Int, failed: Int, pending: Int, filesPerMinute: Double
    ) {
        self.tenant = tenant
        self.startedAt = startedAt
        self.total = total
        self.processed = processed
        self.failed = failed
        self.pending = pending
        self.active = pending > 0
        self.percent = total > 0 ? min(100, Double(processed + failed) * 100 / Double(total)) : 100
        self.filesPerMinute = filesPerMinute
        self.etaSeconds = pending > 0 && filesPerMinute > 0 ? Double(pending) / filesPerMinute * 60 : (pending == 0 ? 0 : nil)
    }
}
