import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// Tests/Support/qdrant-test-server.py run as a child process (the chaos
/// run's Qdrant, and the tests'): it checks every request as real Qdrant
/// would, injects faults on command and reports what it saw, on its control
/// port. It exits with its parent.
public final class FaultServer: @unchecked Sendable {
    /// The data port's root, where Sluice sends its Qdrant requests.
    public let url: String
    let control: String
    private let process: Process

    /// - Parameter arguments: more of the script's options (`--api-key`, `--payload-schema`).
    public init(script: String, arguments: [String] = []) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--port", "0", "--exit-with-parent"] + arguments
        let output = Pipe()
        process.standardOutput = output
        // The server exits when this pipe closes, so it never outlives its parent.
        process.standardInput = Pipe()
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let ports = try? JSONSerialization.jsonObject(with: line) as? [String: Int], let port = ports["port"], let control = ports["control"] else {
            process.terminate()
            throw SluiceError(
                .configuration,
                "the Qdrant test server at \(script) did not start (it needs python3 with qdrant-client: pip install -r Tests/Support/requirements.txt); it printed: \(String(decoding: line, as: UTF8.self))")
        }
        url = "http://127.0.0.1:\(port)"
        self.control = "http://127.0.0.1:\(control)"
    }

    // SIGKILL: a child of a test process may have inherited blocked signals.
    deinit { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// A request to the control port (`/faults` with a body, `/stats`, `/points?collection=`); its answer.
    public func control(_ path: String, body: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: control + path)
        if let body {
            request.method = .POST
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await RemoteHTTP.client.execute(request, timeout: .seconds(60))
        return Data(try await response.body.collect(upTo: 512 << 20).readableBytesView)
    }

    func inject(_ fault: [String: Any]) async throws {
        _ = try await control("/faults", body: try JSONSerialization.data(withJSONObject: fault))
    }

    func invalidRequests() async throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: try await control("/stats")) as? [String: Any]
        return object?["invalid"] as? [String] ?? []
    }
}
