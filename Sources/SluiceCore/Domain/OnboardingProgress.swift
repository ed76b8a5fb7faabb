/// A tenant's current (or last) onboarding: it starts when a change enters
/// the tenant's empty backlog and ends when the backlog is empty again.
/// Counts cover the documents queued since it started; derived from the
/// store, so they survive a restart.
public struct OnboardingProgress: Sendable, Equatable {
    public var tenant: String
    public var startedAt: Timestamp
    /// Documents queued since the onboarding started.
    public var total: Int
    public var processed: Int
    public var failed: Int
    /// Documents still waiting or in progress.
    public var pending: Int
    /// Documents finished per minute over the last minute (or since the start, if sooner).
    public var filesPerMinute: Double

    public init(
        tenant: String, startedAt: Timestamp, total: Int, processed: Int, failed: Int, pending: Int, filesPerMinute: Double
    ) {
        self.tenant = tenant
        self.startedAt = startedAt
        self.total = total
        self.processed = processed
        self.failed = failed
        self.pending = pending
        self.filesPerMinute = filesPerMinute
    }

    /// Whether the backlog is not empty yet.
    public var active: Bool { pending > 0 }

    /// Share of `total` done (processed or failed), 0 to 100.
    public var percent: Double { total > 0 ? min(100, Double(processed + failed) * 100 / Double(total)) : 100 }

    /// Seconds until the backlog is empty at that rate; 0 when done, nil when nothing finished yet.
    public var etaSeconds: Double? {
        guard pending > 0 else { return 0 }
        return filesPerMinute > 0 ? Double(pending) / filesPerMinute * 60 : nil
    }
}
