import Dispatch

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
}
