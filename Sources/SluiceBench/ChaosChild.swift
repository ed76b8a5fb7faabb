import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// The `sluice run --watch --listen` child, started again after each kill.
final class Child: @unchecked Sendable {
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let log: String
    private var process: Process?
    /// How many times it was started.
    private var starts = 0

    init(executable: String, arguments: [String], environment: [String: String], log: String) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        starts += 1
    }

    /// Whether the child started last has its watches in place (it logs
    /// "watching" once they are): an overflow made before then is no overflow
    /// of its queue, only changes its first scan finds.
    func isWatching() -> Bool {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "[SluiceApp] watching ").count - 1 >= starts
    }

    func signal(_ signal: Int32) {
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// SIGKILL, not waiting (a `defer` only needs it gone).
    func kill() { signal(SIGKILL) }

    /// SIGKILL, and the end awaited without holding one of the cooperative pool's threads
    /// (two on two cores: a blocked one stalls the tests running beside the chaos test).
    func killed() async throws {
        kill()
        while process?.isRunning == true { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// SIGTERM, and the exit status (waited for off the cooperative pool's threads).
    func stop() async throws -> Int32 {
        guard let process else { return -1 }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { try await killed(); return -1 }
        return process.terminationStatus
    }

    func overflowsLogged() -> Int {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "inotify queue overflowed").count - 1
    }
}
