/// When a coalesced document becomes ready: after a quiet settle window,
/// but never later than `maximum` after its first pending change, so a file
/// appended to without pause still gets processed.
///
/// The window adapts: `window` (SLUICE_SETTLE_MS) for a quiet document in a
/// quiet tree, so a person's edit is searchable at once; `busyWindow` for a
/// document that changes again while a change is pending, or for any change
/// that arrives while the tree is busy (a burst of saves, a flood of copies),
/// so repeated writes fold into one processing.
public struct SettlePolicy: Sendable, Equatable {
    /// The quiet time after the last change (SLUICE_SETTLE_MS).
    public var window: Duration
    /// The quiet time for a busy document or tree: ten times `window` and at
    /// least half a second (none when `window` is zero: no settling at all),
    /// at most a quarter of `maximum`. Half a second spans the gaps between
    /// the rewrites of a burst however short `window` is.
    public var busyWindow: Duration
    /// The most a document waits after its first pending change (SLUICE_SETTLE_MAX_MS).
    public var maximum: Duration

    public init(window: Duration = .milliseconds(20), maximum: Duration = .milliseconds(2000)) {
        self.window = window
        self.maximum = max(window, maximum)
        let busy = window == .zero ? .zero : max(window * 10, .milliseconds(500))
        self.busyWindow = max(window, min(busy, self.maximum / 4))
    }

    /// `min(lastChange + window, firstChange + maximum)`, with the busy window when `busy`.
    public func readyAt(firstChange: Timestamp, lastChange: Timestamp, busy: Bool = false) -> Timestamp {
        min(lastChange + (busy ? busyWindow : window), firstChange + maximum)
    }
}
