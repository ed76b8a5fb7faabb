import Foundation
import Synchronization

/// Wakes idle workers when new work is queued in this process, so a change
/// is picked up at its ready time instead of at the next poll.
public final class Doorbell: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes everyone waiting now.
    public func ring() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the bell rings, `deadline` passes on `clock`, or the task is cancelled.
    public func wait(until deadline: Timestamp, clock: any SluiceClock) async {
        let generation = state.withLock { $0.generation }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await self.waitForRing(after: generation) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing(after generation: UInt64) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

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
