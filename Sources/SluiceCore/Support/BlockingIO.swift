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

    /// Where deadlines fire: a serial queue, which libdispatch serves with a
    /// thread of its own when needed (it overcommits), so neither bodies
    /// filling `queue` (concurrent, as wide as the cores) nor a busy
    /// cooperative pool can hold a deadline back.
    private static let deadlines = DispatchQueue(label: "sluice.blocking-io.deadlines", qos: .userInitiated)

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
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            queue.async {
                // A timer cancelled when the body ends: with `asyncAfter` every document's deadline
                // (60 s by default) stayed scheduled, with what it holds, until it came round.
                let started = ContinuousClock.now
                let deadline = DispatchSource.makeTimerSource(queue: deadlines)
                deadline.schedule(deadline: .now() + seconds)
                deadline.setEventHandler { answer(.failure(timedOut())) }
                armed.add(1, ordering: .relaxed)
                deadline.resume()
                let result = Result { try body() }
                deadline.cancel()
                // Counted here, not in a cancel handler: that runs later on `deadlines`, which may lag.
                armed.subtract(1, ordering: .relaxed)
                // A body that ended past its limit timed out, whether or not its timer has fired yet:
                // the outcome does not hang on how soon a busy machine delivers the timer.
                answer(ContinuousClock.now - started >= limit ? .failure(timedOut()) : result)
            }
        }
    }
}
