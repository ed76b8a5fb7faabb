import Dispatch
import Synchronization

/// Runs blocking work (file reads, directory walks) on a Dispatch queue so it
/// never occupies a thread of Swift's cooperative pool.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "sluice.blocking-io", qos: .userInitiated, attributes: .concurrent)

    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// The deadlines of bodies running under `run(within:)`.
    private static let deadlines = Deadlines()

    /// Deadlines armed and not yet cancelled: one per body running under `run(within:)`
    /// (including bodies that timed out and run on to their end).
    private static let armed = Atomic<Int>(0)
    public static var armedDeadlines: Int { armed.load(ordering: .relaxed) }

    /// Runs `body` as `run` does, but stops waiting for it `limit` after it
    /// starts: then `timedOut` is thrown and `body` runs on to its end with its
    /// result dropped. For work on untrusted input (extraction) that must
    /// never hold a worker, or graceful shutdown, for longer than the limit.
    ///
    /// The limit counts from the moment `body` starts, not from the call: time
    /// spent waiting for a thread (held by another document's body that timed
    /// out and is running on to its end) is not this body's.
    public static func run<T: Sendable>(
        within limit: Duration, orThrow timedOut: @autoclosure @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let answered = Mutex(false)
            // The result is made only by the first answer: `timedOut` is evaluated once at most,
            // never again when a body that timed out ends.
            @Sendable func answer(_ result: @autoclosure () -> Result<T, any Error>) {
                let first = answered.withLock { answered in
                    defer { answered = true }
                    return !answered
                }
                if first { continuation.resume(with: result()) }
            }
            // In nanoseconds; a limit too long to count in them saturates (and never comes).
            let whole = limit.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let total = whole.partialValue.addingReportingOverflow(limit.components.attoseconds / 1_000_000_000)
            let nanoseconds = whole.overflow || total.overflow ? Int64.max : total.partialValue
            queue.async {
                armed.add(1, ordering: .relaxed)
                let at = DispatchTime.now() + .nanoseconds(Int(clamping: nanoseconds))
                let deadline = deadlines.arm(at: at) { answer(.failure(timedOut())) }
                let result = Result { try body() }
                deadlines.disarm(deadline)
                armed.subtract(1, ordering: .relaxed)
                // A body that ended past its limit timed out, whether or not the timer has come round
                // yet: the outcome does not hang on how soon a busy machine delivers it.
                answer(DispatchTime.now() >= at ? .failure(timedOut()) : result)
            }
        }
    }
}

/// Every deadline of `BlockingIO.run(within:)` under one timer, armed at the
/// earliest. A timer per body (a source made, armed and cancelled for each
/// document) woke the timer queue twice a document; arming a deadline here is
/// a lock and a dictionary entry. Bodies of one limit are armed in time order,
/// so the timer is set again only when the earliest deadline fires, or went
/// with its body (it then fires for nothing and is set for the next).
///
/// It fires on a serial queue of its own, which libdispatch serves with a
/// thread of its own when needed (it overcommits), so neither bodies filling
/// `BlockingIO`'s queue (concurrent, as wide as the cores) nor a busy
/// cooperative pool can hold a deadline back.
private final class Deadlines: Sendable {
    private struct State {
        /// Touched only under the lock.
        let timer: any DispatchSourceTimer
        var nextID = 0
        var pending: [Int: (at: DispatchTime, fire: @Sendable () -> Void)] = [:]
        /// When the timer fires next (`distantFuture`: not armed).
        var timerAt = DispatchTime.distantFuture
    }

    private let state: Mutex<State>

    init() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "sluice.blocking-io.deadlines", qos: .userInitiated))
        state = Mutex(State(timer: timer))
        state.withLock { state in
            state.timer.schedule(deadline: .distantFuture)
            state.timer.setEventHandler { [weak self] in self?.fireDue() }
            state.timer.activate()
        }
    }

    /// `fire` runs at `time` unless `disarm`ed first.
    func arm(at time: DispatchTime, _ fire: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.pending[id] = (time, fire)
            if time < state.timerAt {
                // Under the lock, so that two arms cannot leave the timer at the later time.
                state.timerAt = time
                state.timer.schedule(deadline: time)
            }
            return id
        }
    }

    func disarm(_ id: Int) {
        _ = state.withLock { $0.pending.removeValue(forKey: id) }
    }

    private func fireDue() {
        let now = DispatchTime.now()
        let due = state.withLock { state in
            let due = state.pending.filter { $0.value.at <= now }
            for id in due.keys { state.pending.removeValue(forKey: id) }
            state.timerAt = state.pending.values.map(\.at).min() ?? .distantFuture
            state.timer.schedule(deadline: state.timerAt)
            return due.values.map(\.fire)
        }
        for fire in due { fire() }
    }
}
