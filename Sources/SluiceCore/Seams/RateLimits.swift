import Synchronization

/// The API's request budgets: one token bucket per key (or per client
/// address in keyless mode; see `TokenBucket` for how a batch is charged). A
/// store shared by many processes (PostgreSQL) keeps the buckets itself, so a
/// key's limit holds across every API process; one process alone keeps them
/// in memory (`LocalRateLimits`).
public protocol RateLimits: Sendable {
    /// Takes `count` tokens from `bucket`, which refills at `ratePerMinute`
    /// and holds `burstSeconds` of it, if it holds at least `needed` (the
    /// taking may leave it in debt): nil when taken, else how long until it
    /// holds one token.
    func take(_ bucket: String, count: Int, ifHolding needed: Double, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration?
}

extension RateLimits {
    /// Takes one request's token from `bucket`: nil when taken, else how long until one is there.
    public func take(_ bucket: String, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration? {
        try await take(bucket, count: 1, ifHolding: 1, ratePerMinute: ratePerMinute, burstSeconds: burstSeconds)
    }

    /// Charges `count` more tokens to a request already admitted (a batch's
    /// documents past its first) unless `bucket` is in debt: nil when charged.
    public func charge(_ bucket: String, count: Int, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration? {
        try await take(bucket, count: count, ifHolding: 0, ratePerMinute: ratePerMinute, burstSeconds: burstSeconds)
    }
}

/// The buckets of one process, in memory.
public final class LocalRateLimits: RateLimits {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock: any SluiceClock

    public init(clock: any SluiceClock) {
        self.clock = clock
    }

    public func take(_ bucket: String, count: Int, ifHolding needed: Double, ratePerMinute: Int, burstSeconds: Double) -> Duration? {
        let now = clock.now()
        return buckets.withLock { buckets in
            var tokens = buckets[bucket] ?? TokenBucket(ratePerMinute: ratePerMinute, burstSeconds: burstSeconds, now: now)
            defer { buckets[bucket] = tokens }
            return tokens.take(count, ifHolding: needed, now: now)
        }
    }
}
