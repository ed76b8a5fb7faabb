import Foundation

/// Wall-clock time for leases, settle windows, backoff and rate limits.
/// Injected so tests drive time instead of sleeping.
public protocol SluiceClock: Sendable {
    func now() -> Timestamp
    /// Sleeps until `deadline` or cancellation (throws `CancellationError`).
    func sleep(until deadline: Timestamp) async throws
}

public struct SystemClock: SluiceClock {
    public init() {}

    public func now() -> Timestamp { Timestamp(Date()) }

    public func sleep(until deadline: Timestamp) async throws {
        let delay = deadline - now()
        if delay > .zero { try await Task.sleep(for: delay) }
    }
}
