/// A token bucket: `capacity` tokens, refilled continuously at `ratePerMinute`.
/// Pure; callers keep one per key and pass the time in.
///
/// A request takes one token when one is there. A request that carries many
/// documents (a batch) is then charged one more per document past its first,
/// which may put the bucket in debt: its next requests wait until the debt is
/// repaid. A charge is refused while the bucket is in debt, so batches sent at
/// once cannot all be admitted on one token each: what a key gets in any span
/// of time is its rate, its burst and one batch.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerMinute: Double
    public let capacity: Double
    private var tokens: Double
    private var updatedAt: Timestamp

    /// - Parameter burstSeconds: how many seconds' worth of tokens the bucket holds.
    public init(ratePerMinute: Int, burstSeconds: Double = 60, now: Timestamp) {
        self.ratePerMinute = Double(max(1, ratePerMinute))
        self.capacity = max(1, self.ratePerMinute / 60 * burstSeconds)
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Takes a token if one is there; otherwise says how long until one is.
    public mutating func take(now: Timestamp) -> Duration? {
        take(1, ifHolding: 1, now: now)
    }

    /// Charges `count` more tokens to a request already admitted, unless the
    /// bucket is in debt; otherwise says how long until a request would be admitted.
    public mutating func charge(_ count: Int, now: Timestamp) -> Duration? {
        take(count, ifHolding: 0, now: now)
    }

    /// Takes `count` tokens if the bucket holds at least `needed`, which may
    /// leave it in debt; otherwise says how long until it holds one token.
    public mutating func take(_ count: Int, ifHolding needed: Double, now: Timestamp) -> Duration? {
        // Milliseconds times the rate, then divided: 2,100 ms at 600 a minute is 21 tokens, not 20.999….
        let refill = Double(max(0, now.milliseconds - updatedAt.milliseconds)) * ratePerMinute / 60_000
        tokens = min(capacity, tokens + refill)
        // Concurrent callers read the time before they take the bucket: an earlier time than the last
        // refills nothing, and must not wind the clock back for the next to refill that span again.
        updatedAt = max(updatedAt, now)
        if tokens >= needed {
            tokens -= Double(max(0, count))
            return nil
        }
        return TokenBucket.wait(untilOneFrom: tokens, ratePerMinute: ratePerMinute)
    }

    /// How long a bucket holding `tokens` takes to hold one.
    public static func wait(untilOneFrom tokens: Double, ratePerMinute: Double) -> Duration {
        .milliseconds(max(1, Int64(((1 - tokens) / ratePerMinute * 60_000).rounded(.up))))
    }
}
