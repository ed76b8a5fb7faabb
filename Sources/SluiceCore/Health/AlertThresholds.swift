/// When Sluice raises an alert (SLUICE_ALERT_* knobs).
public struct AlertThresholds: Sendable, Equatable {
    /// Pending queue rows (ready, delayed and leased) above which `queue_depth` is raised (SLUICE_ALERT_QUEUE_DEPTH).
    public var queueDepth: Int
    /// Share of failed processing attempts above which `error_rate` is raised (SLUICE_ALERT_ERROR_RATE).
    public var errorRate: Double
    /// The window the error rate is measured over.
    public var errorRateWindow: Duration
    /// Fewer attempts than this in the window never raise `error_rate`: one failure of one is not a trend.
    public var minimumAttempts: Int
    /// How long a destination's circuit may stay open before `circuit_open` is raised.
    public var circuitOpen: Duration

    public init(
        queueDepth: Int = 10_000, errorRate: Double = 0.1, errorRateWindow: Duration = .seconds(300),
        minimumAttempts: Int = 10, circuitOpen: Duration = .seconds(60)
    ) {
        self.queueDepth = queueDepth
        self.errorRate = errorRate
        self.errorRateWindow = errorRateWindow
        self.minimumAttempts = minimumAttempts
        self.circuitOpen = circuitOpen
    }
}
