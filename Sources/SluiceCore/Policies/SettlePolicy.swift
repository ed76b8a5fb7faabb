/// When a coalesced document becomes ready: after a quiet settle window,
/// but never later than `maximum` after its first pending change, so a file
/// appended to without pause still gets processed.
public struct SettlePolicy: Sendable, Equatable {
    /// The quiet time after the last change (SLUICE_SETTLE_MS).
    public var window: Duration
    /// The most a document waits after its first pending change (SLUICE_SETTLE_MAX_MS).
    public var maximum: Duration

    public init(window: Duration = .milliseconds(50), maximum: Duration = .milliseconds(2000)) {
        self.window = window
        self.maximum = max(window, maximum)
    }

    /// `min(lastChange + window, firstChange + maximum)`.
    public func readyAt(firstChange: Timestamp, lastChange: Timestamp) -> Timestamp {
        min(lastChange + window, firstChange + maximum)
    }
}
