import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore
import Synchronization

/// A Qdrant collection over its REST API, holding every tenant's points.
///
/// - The collection is created on first use if it is missing (the vector
///   size of the embedder, cosine distance), with a keyword payload index on
///   `tenant` marked `is_tenant`; an existing one must have the same size.
/// - Point ids are the chunk ids (UUIDv5 of tenant, docId, ordinal), so a
///   retried write leaves the same state, and the stale points of a shorter
///   new version are removed by id. A document's or tenant's removal is a
///   delete by filter.
/// - Upserts go in requests of `pointsPerRequest` points, with `wait=true`:
///   a write returns only once Qdrant applied it.
/// - The payload is documented in docs/schemas/qdrant-point.v2.json, or in
///   the `langchain` layout docs/schemas/qdrant-point-langchain.v1.json (the
///   text under `page_content` and `content`, the rest under `metadata`,
///   where the tenant index and Sluice's own filters look too).
/// - The API key travels only in the `api-key` header.
public final class QdrantSink: Sink, SinkReader {
    /// The payload schema version written into every point.
    public static let payloadVersion = 2

    public let baseURL: String
    public let collection: String
    public let dimension: Int
    public let pointsPerRequest: Int
    public let layout: PayloadLayout
    public let gate: DeliveryGate
    private let apiKey: String?
    private let client: HTTPClient
    private let timeout: Duration
    private let ready = Mutex(false)

    public var description: String { "collection \(collection) of \(gate.destination)" }
    /// A new layout rewrites every point, as a new sink would.
    public var identity: String { "qdrant:\(baseURL)/\(collection)" + (layout == .sluice ? "" : "?payload=\(layout.rawValue)") }
    public var deliveryGate: DeliveryGate? { gate }
    public var needs: SinkInput { .vectors }
    public var reader: (any SinkReader)? { self }

    public init(
        url: String, collection: String, dimension: Int, apiKey: String?, pointsPerRequest: Int = 128, layout: PayloadLayout = .sluice,
        gate: DeliveryGate, client: HTTPClient = RemoteHTTP.client, timeout: Duration = .seconds(60)
    ) throws {
        guard !collection.isEmpty, collection.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
            throw SluiceError(.configuration, "--qdrant-collection \"\(collection)\" is not a collection name; use letters, digits, '_', '-' or '.'")
        }
        self.baseURL = try RemoteHTTP.baseURL(url, option: "--qdrant-url", example: "give the server's REST root, e.g. http://127.0.0.1:6333")
        self.collection = collection
        self.dimension = dimension
        self.pointsPerRequest = max(1, pointsPerRequest)
        self.layout = layout
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.gate = gate
        self.client = client
        self.timeout = timeout
    }

    // MARK: Writing

    public func write(_ operations: [SinkOperation]) async throws {
        guard !operations.isEmpty else { return }
        try await ensureCollection()
        var points: [Point] = []
        var staleIDs: [String] = []
        var removals: [TenantID: [String]] = [:]
        for operation in operations {
            switch operation {
            case .upsert(let document):
                for chunk in document.chunks {
                    guard let vector = chunk.vector else {
                        throw SluiceError(.internal, "chunk \(chunk.ordinal) of \(document.key) reached the Qdrant sink without its vector")
                    }
                    points.append(Point(
                        id: ChunkID.string(document.key, ordinal: chunk.ordinal), vector: vector,
                        payload: PointPayload(Payload(document: document, chunk: chunk), chunk.location, layout: layout)))
                }
                staleIDs += document.staleOrdinals.map { ChunkID.string(document.key, ordinal: $0) }
            case .remove(let key, _):
                removals[key.tenant, default: []].append(key.docId.rawValue)
            }
        }
        var start = 0
        while start < points.count {
            let end = min(start + pointsPerRequest, points.count)
            try await call(.PUT, "/collections/\(collection)/points?wait=true", UpsertBody(points: Array(points[start..<end])))
            start = end
        }
        if !staleIDs.isEmpty {
            try await call(.POST, "/collections/\(collection)/points/delete?wait=true", DeleteByID(points: staleIDs))
        }
        for (tenant, docIds) in removals.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try await call(.POST, "/collections/\(collection)/points/delete?wait=true", DeleteByFilter(filter: Filter(must: [
                .match(field("tenant"), tenant.rawValue), .matchAny(field("docId"), docIds),
            ])))
        }
    }

    /// Removes every point of `tenant` (a purge).
    public func removeTenant(_ tenant: TenantID) async throws {
        try await ensureCollection()
        try await call(.POST, "/collections/\(collection)/points/delete?wait=true", DeleteByFilter(filter: Filter(must: [
            .match(field("tenant"), tenant.rawValue),
        ])))
    }

    /// Where a payload field Sluice filters or reads by is in this layout.
    private func field(_ name: String) -> String { layout.fieldPrefix + name }

    /// Creates the collection and its tenant index if missing; checks the vector size of an existing one.
    private func ensureCollection() async throws {
        if ready.withLock({ $0 }) { return }
        struct Info: Decodable {
            struct Result: Decodable {
                struct Config: Decodable {
                    struct Params: Decodable {
                        struct Vectors: Decodable { var size: Int? }
                        var vectors: Vectors?
                    }
                    var params: Params
                }
                var config: Config
            }
            var result: Result
        }
        do {
            let body = try await call(.GET, "/collections/\(collection)", Optional<Empty>.none)
            if let size = try? JSONDecoder().decode(Info.self, from: Data(body.readableBytesView)).result.config.params.vectors?.size,
                size != dimension
            {
                throw SluiceError(
                    .configuration,
                    "the Qdrant collection \(collection) holds \(size)-dimensional vectors but the embedder makes \(dimension); choose another --qdrant-collection or set SLUICE_EMBED_DIMENSION=\(size)")
            }
        } catch let error as DeliveryError where error.status == 404 {
            struct Create: Encodable {
                struct Vectors: Encodable {
                    var size: Int
                    var distance = "Cosine"
                }
                var vectors: Vectors
            }
            do {
                try await call(.PUT, "/collections/\(collection)", Create(vectors: .init(size: dimension)))
            } catch let error as DeliveryError where error.status == 409 || (error.status == 400 && error.response?.contains("already exists") == true) {
                // Another writer created it meanwhile.
            }
        }
        struct FieldIndex: Encodable {
            struct Schema: Encodable {
                var type = "keyword"
                var is_tenant = true
            }
            var field_name: String
            var field_schema = Schema()
        }
        try await call(.PUT, "/collections/\(collection)/index?wait=true", FieldIndex(field_name: field("tenant")))
        ready.withLock { $0 = true }
    }

    // MARK: Reading

    public func search(tenant: TenantID, vector: [Float], k: Int, attributes: [String: String]) async throws -> [SearchHit] {
        struct Query: Encodable {
            var query: [Float]
            var filter: Filter
            var limit: Int
            var with_payload = true
        }
        struct Answer: Decodable {
            struct Result: Decodable {
                struct Hit: Decodable {
                    var score: Float
                    var payload: PointPayload?
                }
                var points: [Hit]
            }
            var result: Result
        }
        var conditions: [Condition] = [.match(field("tenant"), tenant.rawValue)]
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { conditions.append(.match(field("attributes.\(name)"), value)) }
        let body = try await call(.POST, "/collections/\(collection)/points/query", Query(query: vector, filter: Filter(must: conditions), limit: max(1, k)))
        let answer = try decode(Answer.self, body)
        return answer.result.points.compactMap { hit in
            guard let payload = hit.payload else { return nil }
            let fields = payload.fields
            return SearchHit(
                tenant: fields.tenant, docId: fields.docId, ordinal: fields.ordinal, score: hit.score, text: fields.text ?? "",
                location: payload.location)
        }
    }

    public func points(tenant: TenantID?, _ body: ([SinkPoint]) async throws -> Void) async throws {
        struct Scroll: Encodable {
            var filter: Filter?
            var limit = 1000
            var offset: String?
            var with_payload: [String]
            var with_vector = false
        }
        struct Answer: Decodable {
            struct Result: Decodable {
                struct Item: Decodable {
                    var id: PointID
                    var payload: PartialPayload?
                }
                var points: [Item]
                var next_page_offset: PointID?
            }
            var result: Result
        }
        /// The fields of either layout: at the top, or under `metadata`.
        struct PartialPayload: Decodable {
            struct Fields: Decodable {
                var tenant: String?
                var docId: String?
                var ordinal: Int?
                var contentHash: String?
            }
            var fields: Fields
            init(from decoder: any Decoder) throws {
                struct Nested: Decodable { var metadata: Fields? }
                let top = try Fields(from: decoder)
                fields = top.tenant == nil ? try Nested(from: decoder).metadata ?? top : top
            }
            var tenant: String? { fields.tenant }
            var docId: String? { fields.docId }
            var ordinal: Int? { fields.ordinal }
            var contentHash: String? { fields.contentHash }
        }
        var offset: String?
        repeat {
            let request = Scroll(
                filter: tenant.map { Filter(must: [.match(field("tenant"), $0.rawValue)]) }, offset: offset,
                with_payload: ["tenant", "docId", "ordinal", "contentHash"].map(field))
            let answer = try decode(Answer.self, try await call(.POST, "/collections/\(collection)/points/scroll", request))
            try await body(answer.result.points.map { item in
                let key = item.payload.flatMap { payload -> DocumentKey? in
                    guard let tenant = payload.tenant, let docId = payload.docId else { return nil }
                    return DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
                }
                return SinkPoint(id: item.id.text, key: key, ordinal: item.payload?.ordinal, contentHash: item.payload?.contentHash)
            })
            offset = answer.result.next_page_offset?.text
        } while offset != nil
    }

    @discardableResult
    private func call<Body: Encodable>(_ method: HTTPMethod, _ path: String, _ body: Body?) async throws -> ByteBuffer {
        let encoded = try body.map { Array(try JSONEncoder().encode($0)) }
        let request = RemoteHTTP.jsonRequest(baseURL + path, method: method, body: encoded, headers: apiKey.map { [("api-key", $0)] } ?? [])
        return try await RemoteHTTP.send(request, through: gate, client: client, timeout: timeout)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        let decoder = JSONDecoder()
        decoder.userInfo[PayloadLayout.userInfoKey] = layout
        do {
            return try decoder.decode(type, from: Data(body.readableBytesView))
        } catch {
            throw DeliveryError(.rejected, destination: gate.destination, "\(gate.destination) answered with something Sluice cannot read", response: String(buffer: body))
        }
    }
}
