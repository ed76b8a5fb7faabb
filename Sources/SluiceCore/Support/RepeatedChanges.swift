/// Documents whose files change again soon after their last change, but not
/// so soon that it is the same save: a log appended to every few tens of
/// milliseconds, a tool rewriting a file in a loop. A change to a pending
/// document already waits for the busy settle window (`SettlePolicy`); one
/// that arrives just after the previous change was processed found no
/// pending row, and was processed again after the short quiet window: a file
/// rewritten every 25 ms was embedded about 40 times a second.
///
/// A change counts as repeated when the document's previous change came at
/// least `sameSave` before (closer changes are one save, folded while
/// pending) and less than `window` before. The memory holds only the
/// documents changed within the last two windows.
public struct RepeatedChanges: Sendable {
    public let sameSave: Duration
    public let window: Duration
    private var lastChange: [DocumentKey: Timestamp] = [:]
    private var nextPrune: Timestamp?

    public init(settle: SettlePolicy) {
        sameSave = settle.window
        window = settle.busyWindow
    }

    /// Records a change to `key` at `now`; whether it repeats a recent one.
    public mutating func record(_ key: DocumentKey, at now: Timestamp) -> Bool {
        if let prune = nextPrune, now >= prune {
            lastChange = lastChange.filter { now - $0.value < window }
            nextPrune = now + window
        } else if nextPrune == nil {
            nextPrune = now + window
        }
        let previous = lastChange.updateValue(now, forKey: key)
        guard let previous else { return false }
        let gap = now - previous
        return gap >= sameSave && gap < window
    }

    /// How many documents are remembered now.
    public var count: Int { lastChange.count }
}
