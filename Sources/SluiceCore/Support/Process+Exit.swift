import Foundation
import Synchronization

extension Process {
    /// Waits for the process to end and returns its termination status,
    /// holding no thread meanwhile. Foundation's `waitUntilExit()` on Linux
    /// runs an empty run loop until then, which returns at once, so it spins:
    /// a core's worth of CPU taken from the process being waited for (a
    /// benchmark's child, a test's server).
    public func exitStatus() async -> Int32 {
        let resumed = Atomic(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let resume: @Sendable (Int32) -> Void = { status in
                if !resumed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
                    return
                }
                continuation.resume(returning: status)
            }
            terminationHandler = { process in resume(process.terminationStatus) }
            // Ended before the handler was set: it will not be called.
            if !isRunning { resume(terminationStatus) }
        }
    }
}
