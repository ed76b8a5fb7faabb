import Foundation
import SluiceCore

extension Process {
    /// Waits for the process to end, and reads what it wrote to `output`, off
    /// the cooperative pool. A test that called `waitUntilExit()` from an async
    /// test held one of the pool's threads (two, on two cores) for the whole
    /// run, and every other test's tasks stalled meanwhile: a polling loop
    /// elsewhere missed the state it was waiting for. (`waitUntilExit()` also
    /// spins: see `exitStatus()`.)
    public func exited(reading output: Pipe? = nil) async throws -> (status: Int32, output: Data) {
        let pipe = output
        let data = try await BlockingIO.run { pipe?.fileHandleForReading.readDataToEndOfFile() ?? Data() }
        return (await exitStatus(), data)
    }
}
