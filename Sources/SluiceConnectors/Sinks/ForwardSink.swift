import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore

/// Another Sluice: documents (content included) go to its
/// `POST /v1/ingest/batch` with a tenant or admin key, so a watcher on a
/// file server feeds a central Sluice. This side keeps its own durable
/// queue, so the central one being down loses nothing; the central one
/// extracts, chunks and embeds.
///
/// Batches are marked `coalesced` (this side already settled the changes).
/// A document the central Sluice rejects fails alone, with its answer: the
/// worker splits a batch that was partly refused.
public struct ForwardSink: Sink {
    public let url: String
    public let documentsPerRequest: Int
    public let gate: DeliveryGate
    private let key: String?
    private let client: HTTPClient
    private let timeout: Duration

    public var description: String { gate.destination }
    public var identity: String { "sluice:" + ContentHash.of(url).hex.prefix(16) }
    public var deliveryGate: DeliveryGate? { gate }
    public var needs: SinkInput { .content }
    public var reader: (any SinkReader)? { nil }

    /// - Parameter url: the other Sluice's root, e.g. http://central:7700.
    public init(
        url: String, key: String?, documentsPerRequest: Int = 100, gate: DeliveryGate, client: HTTPClient = RemoteHTTP.client,
        timeout: Duration = .seconds(30)
    ) throws {
        self.url = try RemoteHTTP.baseURL(url, option: "--forward-url", example: "give the other Sluice's root, e.g. http://central:7700")
        self.key = key.flatMap { $0.isEmpty ? nil : $0 }
        self.documentsPerRequest = max(1, min(500, documentsPerRequest))
        self.gate = gate
        self.client = client
        self.timeout = timeout
    }

    public func write(_ operations: [SinkOperation]) async throws {
        let documents = try operations.map { operation -> IncomingDocument in
            switch operation {
            case .upsert(let document):
                guard let content = document.content, let meta = document.meta else {
                    throw SluiceError(.internal, "\(document.key) reached the forwarding sink without its content")
                }
                return IncomingDocument(meta: meta, content: content)
            case .remove(let key, _):
                return IncomingDocument(meta: DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true), content: nil)
            }
        }
        var start = 0
        while start < documents.count {
            let end = min(start + documentsPerRequest, documents.count)
            try await send(Array(documents[start..<end]))
            start = end
        }
    }

    public func removeTenant(_ tenant: TenantID) async throws {
        let path = "/v1/tenants/" + (tenant.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? tenant.rawValue)
        _ = try await call(RemoteHTTP.jsonRequest(url + path, method: .DELETE, body: nil, headers: authorization))
    }

    private var authorization: [(String, String)] { key.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    private func send(_ documents: [IncomingDocument]) async throws {
        let body = Array(try JSONEncoder.stable.encode(IngestBatch(priority: "normal", coalesced: true, documents: documents)))
        let answer = try await call(RemoteHTTP.jsonRequest(url + "/v1/ingest/batch", method: .POST, body: body, headers: authorization))
        guard let decoded = try? JSONDecoder().decode(IngestBatchResult.self, from: Data(answer.readableBytesView)) else {
            throw DeliveryError(.rejected, destination: gate.destination, "\(gate.destination) answered with something that is not a batch result", response: String(buffer: answer))
        }
        let refused = decoded.results.filter { $0.status == "rejected" }
        guard refused.isEmpty else {
            let reasons = refused.prefix(3).map { "\($0.docId ?? "documents[\($0.index)]"): \($0.error?.message ?? "rejected")" }
            throw DeliveryError(
                .rejected, destination: gate.destination,
                "\(gate.destination) refused \(refused.count) of \(documents.count) documents", response: reasons.joined(separator: "; "))
        }
    }

    private func call(_ request: HTTPClientRequest) async throws -> ByteBuffer {
        try await RemoteHTTP.send(request, through: gate, client: client, timeout: timeout, maxResponseBytes: 16 << 20)
    }
}
