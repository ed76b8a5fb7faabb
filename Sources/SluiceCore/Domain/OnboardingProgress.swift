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

extension OnboardingProgress {
    /// Every onboarding in progress taken together (tenant `*`): the sums of
    /// their counts and rates, so the ETA is the whole backlog at the whole
    /// rate. A tenant whose work waits behind another's shows a low rate of
    /// its own; the sum does not have that bias. Nil when none is in progress.
    public static func overall(_ onboardings: [OnboardingProgress]) -> OnboardingProgress? {
        let active = onboardings.filter(\.active)
        guard let first = active.min(by: { $0.startedAt < $1.startedAt }) else { return nil }
        return OnboardingProgress(
            tenant: "*", startedAt: first.startedAt, total: active.reduce(0) { $0 + $1.total },
            processed: active.reduce(0) { $0 + $1.processed }, failed: active.reduce(0) { $0 + $1.failed },
            pending: active.reduce(0) { $0 + $1.pending }, filesPerMinute: active.reduce(0) { $0 + $1.filesPerMinute })
    }
}
