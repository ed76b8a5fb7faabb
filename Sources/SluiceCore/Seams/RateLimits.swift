import Synchronization

/// The API's request budgets: one token bucket per key (or per client
/// address in keyless mode). A store shared by many processes (PostgreSQL)
/// keeps the buckets itself, so a key's limit holds across every API process;
/// one process alone keeps them in memory (`LocalRateLimits`).
public protocol RateLimits: Sendable {
    /// Takes one request from `bucket`, which refills at `ratePerMinute` and
    /// holds `burstSeconds` of it: nil when taken, else how long until a
    /// request would be.
    func take(_ bucket: String, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration?
}

/// The buckets of one process, in memory.
public final class LocalRateLimits: RateLimits {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock: any SluiceClock

    public init(clock: any SluiceClock) {
        self.clock = clock
    }

    public func take(_ bucket: String, ratePerMinute: Int, burstSeconds: Double) -> Duration? {
        let now = clock.now()
        return buckets.withLock { buckets in
            var tokens = buckets[bucket] ?? TokenBucket(ratePerMinute: ratePerMinute, burstSeconds: burstSeconds, now: now)
            defer { buckets[bucket] = tokens }
            return tokens.take(now: now)
        }
    }
}
