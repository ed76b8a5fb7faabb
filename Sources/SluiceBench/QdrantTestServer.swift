import Foundation
import SluiceApp

/// The Qdrant stand-in in Tests/Support/qdrant-test-server.py, run as a
/// child process: it validates every request with qdrant-client's own models
/// and applies it with the client's local mode, and can inject faults.
public final class QdrantTestServer: @unchecked Sendable {
    public struct Fault: Encodable, Sendable {
        var mode: String
        var status: Int?
        var probability: Double?
        var retry_after: Double?
        var hang_seconds: Double?
        var pass_first: Int?

        public static let none = Fault(mode: "none")
        public static let down = Fault(mode: "down")
        /// - Parameter passFirst: requests served normally before the fault starts.
        public static func status(_ status: Int, probability: Double = 1, retryAfter: Double? = nil, passFirst: Int? = nil) -> Fault {
            Fault(mode: "status", status: status, probability: probability, retry_after: retryAfter, pass_first: passFirst)
        }
        public static func hang(seconds: Double, probability: Double = 1) -> Fault {
            Fault(mode: "hang", probability: probability, hang_seconds: seconds)
        }
    }

    public struct Stats: Decodable, Sendable {
        /// [unix time, method, path, status]
        public var requests: [[Value]]
        public var invalid: [String]

        public enum Value: Decodable, Sendable {
            case number(Double)
            case text(String)
            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }

        /// (time, path, status) of each request the data port answered.
        public var answered: [(at: Double, path: String, status: Int)] {
            requests.compactMap { row in
                guard row.count == 4, case .number(let at) = row[0], case .text(let path) = row[2], case .number(let status) = row[3] else { return nil }
                return (at, path, Int(status))
            }
        }
    }

    public var url: String { server.url }
    private let server: FaultServer

    public static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var script: String { repository + "/Tests/Support/qdrant-test-server.py" }

    /// - Parameters:
    ///   - apiKey: the key every data request must carry in its `api-key` header.
    ///   - payloadSchema: the schema under docs/schemas every point's payload must match.
    public init(apiKey: String? = nil, payloadSchema: String = "qdrant-point.v2.json") throws {
        server = try FaultServer(
            script: QdrantTestServer.script,
            arguments: ["--payload-schema", QdrantTestServer.repository + "/docs/schemas/" + payloadSchema]
                + (apiKey.map { ["--api-key", $0] } ?? []))
    }

    public func inject(_ fault: Fault) async throws {
        _ = try await server.control("/faults", body: try JSONEncoder().encode(fault))
    }

    public func stats() async throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: try await server.control("/stats"))
    }

    /// Every point id the collection holds.
    public func pointIDs(collection: String = "sluice") async throws -> Set<String> {
        struct Points: Decodable { var ids: [String] }
        return Set(try JSONDecoder().decode(Points.self, from: try await server.control("/points?collection=\(collection)")).ids)
    }
}

extension QdrantTestServer {
    /// What a test reads of a point's payload (the `sluice` layout).
    public struct StoredPoint: Decodable, Sendable {
        public var docId: String
        public var text: String
        public var revision: Int64
    }

    /// Every point the collection holds, by id.
    public func points(collection: String = "sluice") async throws -> [String: StoredPoint] {
        struct Points: Decodable { var payloads: [String: StoredPoint] }
        return try JSONDecoder().decode(Points.self, from: try await server.control("/points?collection=\(collection)")).payloads
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
