import Foundation
import SluiceCore

/// What goes over the wire to Qdrant's REST API: points, their payload
/// (docs/schemas/qdrant-point.v2.json), deletions and filters.
extension QdrantSink {

    struct Point: Encodable {
        var id: String
        var vector: [Float]
        var payload: WithLocation<Payload>
    }

    /// The point payload, schema version `payloadVersion` (the chunk's location beside it).
    struct Payload: Codable {
        var schemaVersion = QdrantSink.payloadVersion
        var tenant: String
        var docId: String
        var ordinal: Int
        var text: String
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
