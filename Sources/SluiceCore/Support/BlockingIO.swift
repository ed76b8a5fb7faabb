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

    /// Runs `body` as `run` does, but stops waiting for it after `limit`:
    /// then `timedOut` is thrown and `body` runs on to its end with its
    /// result dropped. For work on untrusted input (extraction) that must
    /// never hold a worker, or graceful shutdown, for longer than the limit.
    public static func run<T: Sendable>(
        within limit: Duration, orThrow timedOut: @autoclosure @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let answered = Mutex(false)
            @Sendable func answer(_ result: Result<T, any Error>) {
                let first = answered.withLock { answered in
                    defer { answered = true }
                    return !answered
                }
                if first { continuation.resume(with: result) }
            }
            queue.async { answer(Result { try body() }) }
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            queue.asyncAfter(deadline: .now() + seconds) { answer(.failure(timedOut())) }
        }
    }
}
