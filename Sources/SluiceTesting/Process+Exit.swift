import Foundation
import SluiceCore

extension Process {
    /// Waits for the process to end, and reads what it wrote to `output`, off
    /// the cooperative pool. A test that called `waitUntilExit()` from an async
    /// test held one of the pool's threads (two, on two cores) for the whole
    /// run, and every other test's tasks stalled meanwhile: a polling loop
    /// elsewhere missed the state it was waiting for.
    public func exited(reading output: Pipe? = nil) async throws -> (status: Int32, output: Data) {
        nonisolated(unsafe) let process = self
        nonisolated(unsafe) let pipe = output
        return try await BlockingIO.run {
            let data = pipe?.fileHandleForReading.readDataToEndOfFile() ?? Data()
            process.waitUntilExit()
            return (process.terminationStatus, data)
        }
    }
}
