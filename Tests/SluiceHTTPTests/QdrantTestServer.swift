import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceConnectors

/// The Qdrant stand-in in Tests/Support/qdrant-test-server.py, run as a
/// child process: it validates every request with qdrant-client's own models
/// and applies it with the client's local mode, and can inject faults.
final class QdrantTestServer: @unchecked Sendable {
    struct Fault: Encodable {
        var mode: String
        var status: Int?
        var probability: Double?
        var retry_after: Double?
        var hang_seconds: Double?
        var pass_first: Int?

        static let none = Fault(mode: "none")
        static let down = Fault(mode: "down")
        /// - Parameter passFirst: requests served normally before the fault starts.
        static func status(_ status: Int, probability: Double = 1, retryAfter: Double? = nil, passFirst: Int? = nil) -> Fault {
            Fault(mode: "status", status: status, probability: probability, retry_after: retryAfter, pass_first: passFirst)
        }
        static func hang(seconds: Double, probability: Double = 1) -> Fault {
            Fault(mode: "hang", probability: probability, hang_seconds: seconds)
        }
    }

    struct Stats: Decodable {
        /// [unix time, method, path, status]
        var requests: [[Value]]
        var invalid: [String]

        enum Value: Decodable {
            case number(Double)
            case text(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }

        /// (time, path, status) of each request the data port answered.
        var answered: [(at: Double, path: String, status: Int)] {
            requests.compactMap { row in
                guard row.count == 4, case .number(let at) = row[0], case .text(let path) = row[2], case .number(let status) = row[3] else { return nil }
                return (at, path, Int(status))
            }
        }
    }

    let url: String
    private let controlURL: String
    private let process: Process

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var script: String { repository + "/Tests/Support/qdrant-test-server.py" }

    /// - Parameter apiKey: the key every data request must carry in its `api-key` header.
    init(apiKey: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", QdrantTestServer.script, "--port", "0", "--exit-with-parent",
            "--payload-schema", QdrantTestServer.repository + "/docs/schemas/qdrant-point.v1.json",
        ] + (apiKey.map { ["--api-key", $0] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        // The server exits when this pipe closes, so it never outlives the tests.
        process.standardInput = Pipe()
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        struct Ports: Decodable {
            var port: Int
            var control: Int
        }
        guard let ports = try? JSONDecoder().decode(Ports.self, from: line) else {
            process.terminate()
            throw TestServerError(
                "the Qdrant test server did not start (it needs python3 with qdrant-client: pip install qdrant-client); it printed: \(String(decoding: line, as: UTF8.self))")
        }
        url = "http://127.0.0.1:\(ports.port)"
        controlURL = "http://127.0.0.1:\(ports.control)"
    }

    deinit {
        // SIGKILL: a child of a test process may have inherited blocked signals.
        kill(process.processIdentifier, SIGKILL)
    }

    func inject(_ fault: Fault) async throws {
        _ = try await control("/faults", body: try JSONEncoder().encode(fault))
    }

    func stats() async throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: try await control("/stats", body: nil))
    }

    /// Every point id the collection holds.
    func pointIDs(collection: String = "sluice") async throws -> Set<String> {
        struct Points: Decodable { var ids: [String] }
        return Set(try JSONDecoder().decode(Points.self, from: try await control("/points?collection=\(collection)", body: nil)).ids)
    }

    private func control(_ path: String, body: Data?) async throws -> Data {
        var request = HTTPClientRequest(url: controlURL + path)
        if let body {
            request.method = .POST
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await RemoteHTTP.client.execute(request, timeout: .seconds(30))
        return Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
