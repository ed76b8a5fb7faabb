import Foundation

/// Events per second over the last second, to tell a busy tree from a quiet one.
public struct ActivityMeter: Sendable {
    /// Events per second above which the tree counts as busy.
    public var busyThreshold: Int
    private var buckets: [(slot: Int64, count: Int)] = []
    private let slotMilliseconds: Int64 = 100

    public init(busyThreshold: Int = 50) {
        self.busyThreshold = busyThreshold
    }

    public mutating func record(_ count: Int, at now: Timestamp) {
        let slot = now.milliseconds / slotMilliseconds
        buckets.removeAll { $0.slot <= slot - 10 }
        if let last = buckets.last, last.slot == slot {
            buckets[buckets.count - 1].count += count
        } else {
            buckets.append((slot, count))
        }
    }

    /// Events in the last second.
    public func rate(at now: Timestamp) -> Int {
        let slot = now.milliseconds / slotMilliseconds
        return buckets.filter { $0.slot > slot - 10 }.reduce(0) { $0 + $1.count }
    }

    public func isBusy(at now: Timestamp) -> Bool { rate(at: now) > busyThreshold }
}
