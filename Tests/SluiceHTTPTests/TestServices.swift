import Foundation
import Hummingbird
import SluiceApp
import Synchronization

/// Runs `router` on 127.0.0.1 (`port`, or any free one) around `body`, which gets the port.
func servingOnLoopback(_ router: Router<BasicRequestContext>, port fixed: Int = 0, _ body: (Int) async throws -> Void) async throws {
    let port = Mutex<Int?>(nil)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: fixed)),
        onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService() }
        while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
        do {
            try await body(port.withLock { $0 }!)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

/// Runs a serving `LiveSession` (the HTTP API and the workers) of `runtime`
/// on an ephemeral loopback port around `body`, which gets its base URL.
func servingAPI(_ runtime: SluiceRuntime, _ body: (String) async throws -> Void) async throws {
    let session = LiveSession(
        runtime: runtime, watching: nil, listen: LiveSession.Listen(host: "127.0.0.1", port: 0), rescanInterval: nil,
        handleSignals: false)
    let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await session.run(onReady: { readyContinuation.yield() }) }
        for await _ in ready { break }
        do {
            try await body("http://127.0.0.1:\(session.port ?? 0)")
        } catch {
            await session.stop()
            throw error
        }
        await session.stop()
        try await group.waitForAll()
    }
}

/// Runs `python3 -c script arguments...` and returns what it printed; throws
/// `TestServerError` naming `needs` when it fails.
func runPython(_ script: String, _ arguments: [String], needs: String) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestServerError("python3 failed (it needs \(needs)): \(String(decoding: data, as: UTF8.self))")
    }
    return data
}
