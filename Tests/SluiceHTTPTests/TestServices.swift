import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import SluiceApp
import SluiceBench
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
func runPython(_ script: String, _ arguments: [String], needs: String) async throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let (status, data) = try await process.exited(reading: output)
    guard status == 0 else {
        throw TestServerError("python3 failed (it needs \(needs)): \(String(decoding: data, as: UTF8.self))")
    }
    return data
}

/// An HTTP answer: status, JSON body (empty when not an object), Retry-After, the raw body and its type.
struct Reply {
    var status: Int
    var json: [String: Any]
    var retryAfter: String?
    var body = Data()
    var contentType: String?
}

/// One request through URLSession, a client Sluice's code does not share.
func call(
    _ base: URL, _ method: String, _ path: String, body: Any? = nil, raw: Data? = nil, key: String? = nil,
    headers: [String: String] = [:]
) async throws -> Reply {
    var request = URLRequest(url: URL(string: base.absoluteString + path)!)
    request.httpMethod = method
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
    if let raw { request.httpBody = raw }
    if headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
    let (data, response) = try await URLSession.shared.data(for: request)
    let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    let http = response as? HTTPURLResponse
    for problem in OpenAPIValidation.problems(
        method: method, path: path, status: http?.statusCode ?? 0, contentType: http?.value(forHTTPHeaderField: "Content-Type"), body: data)
    {
        Issue.record("the answer does not match openapi.json: \(problem)")
    }
    return Reply(
        status: http?.statusCode ?? 0, json: json, retryAfter: http?.value(forHTTPHeaderField: "Retry-After"), body: data,
        contentType: http?.value(forHTTPHeaderField: "Content-Type"))
}
