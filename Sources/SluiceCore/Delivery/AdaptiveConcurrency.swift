/// How many requests may be in flight to one destination: additive increase,
/// multiplicative decrease (AIMD), after Vector's adaptive request concurrency.
///
/// Requests are observed in windows of about one round trip. A window whose
/// requests all went well, whose latency stayed near the baseline, and which
/// used the whole limit, raises the limit by one; so a healthy destination is
/// ramped up within seconds (one step per round trip). Backpressure (429,
/// 5xx, a timeout, a refused connection) halves the limit at once; latency
/// rising well above the baseline cuts it by a tenth at the end of the
/// window. The limit stays within 1...`maximum` (SLUICE_SINK_MAX_CONCURRENCY).
/// Pure: the caller passes the time in.
public struct AdaptiveConcurrency: Sendable, Equatable {
    public let maximum: Int
    public private(set) var limit: Int
    /// Long-run round-trip time of uncongested windows, in milliseconds.
    public private(set) var baselineMilliseconds: Double?

    private var windowStart: Timestamp
    private var windowRequests = 0
    private var windowLatencyTotal = 0.0
    private var windowSaturated = false

    /// A window lasts at least this long, so that very fast destinations are
    /// not judged on a handful of requests.
    static let minimumWindow: Duration = .milliseconds(20)
    /// Latency this many times the baseline counts as congestion.
    static let congestionFactor = 1.5

    public init(maximum: Int, initial: Int = 1, now: Timestamp) {
        self.maximum = max(1, maximum)
        self.limit = min(max(1, initial), self.maximum)
        self.windowStart = now
    }

    /// Records one finished request. `saturated`: the limit was fully in use
    /// when it started (only then is there evidence that more would help).
    public mutating func record(latency: Duration, backpressure: Bool, saturated: Bool, now: Timestamp) {
        if backpressure {
            limit = max(1, limit / 2)
            startWindow(now)
            return
        }
        windowRequests += 1
        windowLatencyTotal += Double(latency.milliseconds)
        windowSaturated = windowSaturated || saturated
        let mean = windowLatencyTotal / Double(windowRequests)
        let length = max(AdaptiveConcurrency.minimumWindow, .milliseconds(Int64(mean.rounded(.up))))
        guard now - windowStart >= length else { return }
        if let baseline = baselineMilliseconds, mean > baseline * AdaptiveConcurrency.congestionFactor, mean - baseline >= 5 {
            limit = max(1, Int((Double(limit) * 0.9).rounded(.down)))
        } else {
            baselineMilliseconds = baselineMilliseconds.map { $0 * 0.8 + mean * 0.2 } ?? mean
            if windowSaturated { limit = min(maximum, limit + 1) }
        }
        startWindow(now)
    }

    private mutating func startWindow(_ now: Timestamp) {
        windowStart = now
        windowRequests = 0
        windowLatencyTotal = 0
        windowSaturated = false
    }
}
