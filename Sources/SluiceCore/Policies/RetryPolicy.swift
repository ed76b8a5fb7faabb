/// Exponential backoff with full jitter, bounded by a number of attempts.
///
/// The delay before attempt n+1 is uniform in `[0, min(cap, base * 2^(n-1))]`
/// ("full jitter"), so failing documents spread out instead of retrying in
/// lock step.
public struct RetryPolicy: Sendable, Equatable {
    /// Failed attempts after which a document becomes a dead letter (SLUICE_MAX_RETRIES).
    public var maxAttempts: Int
    /// SLUICE_RETRY_DELAY_MS.
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(2000), maxDelay: Duration = .seconds(300)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The upper bound of the delay after `attempt` failed attempts (1-based).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let base = max(0, baseDelay.milliseconds)
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        let capped = raw.overflow ? maxDelay.milliseconds : min(raw.partialValue, maxDelay.milliseconds)
        return .milliseconds(capped)
    }

    /// A jittered delay after `attempt` failed attempts.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt).milliseconds
        guard ceiling > 0 else { return .zero }
        return .milliseconds(Int64.random(in: 0...ceiling, using: &generator))
    }
}
