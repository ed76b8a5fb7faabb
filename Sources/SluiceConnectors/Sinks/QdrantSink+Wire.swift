import Foundation
import SluiceCore

/// What goes over the wire to Qdrant's REST API: points, their payload
/// (docs/schemas/qdrant-point.v2.json), deletions and filters.
extension QdrantSink {

    struct Point: Encodable {
        var id: String
        var vector: [Float]
        var payload: PointPayload
    }

    /// A point's payload in the collection's layout.
    enum PointPayload: Codable {
        /// docs/schemas/qdrant-point.v2.json: the fields at the top.
        case sluice(WithLocation<Payload>)
        /// docs/schemas/qdrant-point-langchain.v1.json: the text under `page_content` (LangChain's
        /// Python `QdrantVectorStore`) and `content` (LangChain JS, n8n's Qdrant node), the
        /// other fields under `metadata`.
        case langchain(LangChain)

        struct LangChain: Codable {
            var page_content: String?
            var content: String?
            var metadata: WithLocation<Payload>
        }

        init(_ fields: Payload, _ location: ChunkLocation, layout: PayloadLayout) {
            switch layout {
            case .sluice:
                self = .sluice(WithLocation(fields, location))
            case .langchain:
                var metadata = fields
                metadata.text = nil
                self = .langchain(LangChain(page_content: fields.text, content: fields.text, metadata: WithLocation(metadata, location)))
            }
        }

        init(from decoder: any Decoder) throws {
            let layout = decoder.userInfo[PayloadLayout.userInfoKey] as? PayloadLayout ?? .sluice
            switch layout {
            case .sluice: self = .sluice(try WithLocation(from: decoder))
            case .langchain: self = .langchain(try LangChain(from: decoder))
            }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .sluice(let payload): try payload.encode(to: encoder)
            case .langchain(let payload): try payload.encode(to: encoder)
            }
        }

        /// The fields, with the chunk's text in `text` whichever the layout.
        var fields: Payload {
            switch self {
            case .sluice(let payload):
                return payload.fields
            case .langchain(let payload):
                var fields = payload.metadata.fields
                fields.text = payload.page_content ?? payload.content
                return fields
            }
        }

        var location: ChunkLocation {
            switch self {
            case .sluice(let payload): payload.location
            case .langchain(let payload): payload.metadata.location
            }
        }
    }

    /// The point payload, schema version `payloadVersion` (the chunk's location beside it).
    struct Payload: Codable {
        var schemaVersion = QdrantSink.payloadVersion
        var tenant: String
        var docId: String
        var ordinal: Int
        /// The chunk's text; in the `langchain` layout it is `page_content` and `content` instead.
        var text: String?
        var textHash: String?
        var contentHash: String
        var revision: Int64
        var title: String?
        var attributes: [String: String]?

        init(document: SinkDocument, chunk: IndexedChunk) {
            tenant = document.key.tenant.rawValue
            docId = document.key.docId.rawValue
            ordinal = chunk.ordinal
            text = chunk.text
            textHash = chunk.textHash.hex
            contentHash = document.contentHash.hex
            revision = document.revision
            title = document.title
            attributes = document.attributes
        }
    }

    /// A point id as Qdrant returns it: an unsigned integer or a UUID.
    struct PointID: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(UInt64.self) {
                text = String(number)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    struct UpsertBody: Encodable { var points: [Point] }
    struct DeleteByID: Encodable { var points: [String] }
    struct DeleteByFilter: Encodable { var filter: Filter }
    struct Empty: Encodable {}

    struct Filter: Encodable { var must: [Condition] }

    enum Condition: Encodable {
        case match(String, String)
        case matchAny(String, [String])

        private enum Keys: String, CodingKey { case key, match }
        private enum MatchKeys: String, CodingKey { case value, any }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            switch self {
            case .match(let key, let value):
                try container.encode(key, forKey: .key)
                var match = container.nestedContainer(keyedBy: MatchKeys.self, forKey: .match)
                try match.encode(value, forKey: .value)
            case .matchAny(let key, let values):
                try container.encode(key, forKey: .key)
                var match = container.nestedContainer(keyedBy: MatchKeys.self, forKey: .match)
                try match.encode(values, forKey: .any)
            }
        }
    }
}

/// How a Qdrant point's payload is laid out (`--qdrant-payload`, SLUICE_QDRANT_PAYLOAD).
public enum PayloadLayout: String, Sendable, CaseIterable {
    /// Sluice's own: docs/schemas/qdrant-point.v2.json.
    case sluice
    /// As LangChain's and n8n's Qdrant vector stores read points: docs/schemas/qdrant-point-langchain.v1.json.
    case langchain

    /// Where the fields Sluice filters and reads by (`tenant`, `docId`, `attributes.NAME`…) are.
    var fieldPrefix: String { self == .sluice ? "" : "metadata." }

    static let userInfoKey = CodingUserInfoKey(rawValue: "sluice.qdrant.payloadLayout")!
}

