import Foundation
import Synchronization

/// Wakes idle workers when queued work becomes ready sooner than they planned
/// to look, so a change is picked up at its ready time instead of at the next
/// poll.
///
/// A ring says when the new work becomes ready. A waiter whose deadline is
/// already at or before that time is not woken at all, and one that is woken
/// early keeps waiting until the new time, so a flood of changes that each
/// settle for a while wakes each idle worker once, not once per change.
public final class Doorbell: Sendable {
    private struct Waiter {
        var deadline: Timestamp
        var continuation: CheckedContinuation<Wake, Never>
    }

    private enum Wake {
        /// Work is ready at this time; `generation` is the bell's after the ring.
        case rang(readyAt: Timestamp?, generation: UInt64)
        case cancelled
    }

    private struct State {
        var generation: UInt64 = 0
        var waiters: [UUID: Waiter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many waiters are registered now (for tests and diagnostics).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Wakes the waiters that would otherwise look later than `readyAt`; with
    /// no time, everyone waiting now (new work is ready, or shutdown).
    public func ring(readyAt: Timestamp? = nil) {
        let woken = state.withLock { state -> [(CheckedContinuation<Wake, Never>, UInt64)] in
            state.generation &+= 1
            var woken: [(CheckedContinuation<Wake, Never>, UInt64)] = []
            for (id, waiter) in state.waiters where readyAt.map({ $0 < waiter.deadline }) ?? true {
                woken.append((waiter.continuation, state.generation))
                state.waiters.removeValue(forKey: id)
            }
            return woken
        }
        for (continuation, generation) in woken {
            continuation.resume(returning: .rang(readyAt: readyAt, generation: generation))
        }
    }

    /// Marks a point in time: a later `wait(until:clock:since:)` returns at
    /// once for a ring after it whose time is unknown.
    public struct Ticket: Sendable, Equatable {
        fileprivate let generation: UInt64
    }

    /// Take one before looking at the queue, so a ring that comes between the
    /// look and the wait is not missed.
    public func ticket() -> Ticket {
        Ticket(generation: state.withLock { $0.generation })
    }

    /// Returns when `deadline` passes on `clock`, when work rung in (since
    /// `ticket`, or since now) becomes ready before it, or when the task is
    /// cancelled.
    public func wait(until deadline: Timestamp, clock: any SluiceClock, since ticket: Ticket? = nil) async {
        var deadline = deadline
        var generation = ticket?.generation ?? state.withLock { $0.generation }
        while !Task.isCancelled {
            let wake: Wake? = await withTaskGroup(of: Wake?.self) { group in
                let current = deadline
                let seen = generation
                group.addTask {
                    try? await clock.sleep(until: current)
                    return nil
                }
                group.addTask { await self.waitForRing(after: seen, deadline: current) }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            switch wake {
            case .rang(let readyAt?, let after) where readyAt > clock.now():
                deadline = min(deadline, readyAt)
                generation = after
            default:
                return
            }
        }
    }

    private func waitForRing(after generation: UInt64, deadline: Timestamp) async -> Wake {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let missed = state.withLock { state -> Bool in
                    // A ring between reading the generation and now is one whose time is unknown.
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(deadline: deadline, continuation: continuation)
                    return false
                }
                if missed { continuation.resume(returning: .rang(readyAt: nil, generation: generation)) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }
}
