import SluiceCore

/// A chunk's JSON object with its location's keys (`headingPath`, `page`...)
/// beside its own, as the Qdrant payload and the webhook body carry them.
struct WithLocation<Fields: Codable & Sendable>: Codable, Sendable {
    var fields: Fields
    var location: ChunkLocation

    init(_ fields: Fields, _ location: ChunkLocation) {
        self.fields = fields
        self.location = location
    }

    init(from decoder: any Decoder) throws {
        fields = try Fields(from: decoder)
        location = try ChunkLocation(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
        try location.encode(to: encoder)
    }
}
