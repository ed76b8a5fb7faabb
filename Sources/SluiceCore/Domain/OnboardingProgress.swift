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
    /// Documents finished per minute over the last minute, or, in the first
    /// minute, since the first batch finished (not counting that batch, whose
    /// work happened before): time spent queueing and scanning is not a rate.
    public var filesPerMinute: Double
    /// When a finished onboarding ended (its last document's update); nil while active.
    public var finishedAt: Timestamp?

    public init(
        tenant: String, startedAt: Timestamp, total: Int, processed: Int, failed: Int, pending: Int, filesPerMinute: Double,
        finishedAt: Timestamp? = nil
    ) {
        self.finishedAt = finishedAt
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
    /// `count` documents since `since`, per minute at `now` (over at least a quarter second).
    public static func perMinute(_ count: Int, since: Timestamp, now: Timestamp) -> Double {
        guard now > since else { return 0 }
        return Double(count) / max(0.25, (now - since).seconds) * 60
    }

    /// The onboardings in progress with those that finished while they ran:
    /// one wave of work (a bulk export over many tenants). Empty when none is
    /// in progress.
    public static func wave(_ onboardings: [OnboardingProgress]) -> [OnboardingProgress] {
        guard let start = onboardings.filter(\.active).map(\.startedAt).min() else { return [] }
        return onboardings.filter { $0.active || ($0.finishedAt.map { $0 >= start } ?? false) }
    }

    /// A wave taken together (tenant `*`): the sums of its counts, so the
    /// percentage does not drop when one tenant finishes, at `filesPerMinute`,
    /// the rate of the whole wave (measured over one window for all its
    /// tenants: workers take work in queue order, so a tenant queued behind
    /// another has a rate of its own that says little). Nil for no wave.
    public static func combined(_ wave: [OnboardingProgress], filesPerMinute: Double) -> OnboardingProgress? {
        guard let start = wave.map(\.startedAt).min() else { return nil }
        return OnboardingProgress(
            tenant: "*", startedAt: start, total: wave.reduce(0) { $0 + $1.total },
            processed: wave.reduce(0) { $0 + $1.processed }, failed: wave.reduce(0) { $0 + $1.failed },
            pending: wave.reduce(0) { $0 + $1.pending }, filesPerMinute: filesPerMinute)
    }
}
