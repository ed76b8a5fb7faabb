/// A token bucket: `capacity` tokens, refilled continuously at `ratePerMinute`.
/// Pure; callers keep one per key and pass the time in.
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
        let elapsed = Double(max(0, now.milliseconds - updatedAt.milliseconds)) / 60_000
        tokens = min(capacity, tokens + elapsed * ratePerMinute)
        updatedAt = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        let missing = 1 - tokens
        return .milliseconds(Int64((missing / ratePerMinute * 60_000).rounded(.up)))
    }
}
