/// Processing attempts and failures over a sliding window, in ten-second
/// slots. Pure: the caller passes the time in.
public struct OutcomeWindow: Sendable, Equatable {
    public let window: Duration
    private var slots: [Slot] = []
    private static let slotMilliseconds: Int64 = 10_000

    struct Slot: Sendable, Equatable {
        var index: Int64
        var attempts: Int
        var failures: Int
    }

    public init(window: Duration) {
        self.window = window
    }

    public mutating func record(attempts: Int, failures: Int, at now: Timestamp) {
        let index = now.milliseconds / Self.slotMilliseconds
        prune(now)
        if let last = slots.last, last.index == index {
            slots[slots.count - 1].attempts += attempts
            slots[slots.count - 1].failures += failures
        } else {
            slots.append(Slot(index: index, attempts: attempts, failures: failures))
        }
    }

    /// Attempts and failures within the window ending at `now`.
    public func totals(at now: Timestamp) -> (attempts: Int, failures: Int) {
        let oldest = oldestSlot(now)
        return slots.filter { $0.index >= oldest }.reduce((0, 0)) { ($0.0 + $1.attempts, $0.1 + $1.failures) }
    }

    private mutating func prune(_ now: Timestamp) {
        let oldest = oldestSlot(now)
        slots.removeAll { $0.index < oldest }
    }

    private func oldestSlot(_ now: Timestamp) -> Int64 {
        (now.milliseconds - window.milliseconds) / Self.slotMilliseconds + 1
    }
}
