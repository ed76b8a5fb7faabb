/// One search result.
public struct SearchHit: Sendable, Equatable {
    public var tenant: String
    public var docId: String
    public var ordinal: Int
    public var score: Float
    public var text: String
    /// The chunk's headings and pages, slides or sheets.
    public var location: ChunkLocation

    public init(tenant: String, docId: String, ordinal: Int, score: Float, text: String, location: ChunkLocation = ChunkLocation()) {
        self.tenant = tenant
        self.docId = docId
        self.ordinal = ordinal
        self.score = score
        self.text = text
        self.location = location
    }
}

extension SearchHit: Codable {
    private enum CodingKeys: String, CodingKey { case tenant, docId, ordinal, score, text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), docId: try container.decode(String.self, forKey: .docId),
            ordinal: try container.decode(Int.self, forKey: .ordinal), score: try container.decode(Float.self, forKey: .score),
            text: try container.decode(String.self, forKey: .text), location: try ChunkLocation(from: decoder))
    }

    /// The location's keys sit beside the others (`headingPath`, `page`...).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(docId, forKey: .docId)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(score, forKey: .score)
        try container.encode(text, forKey: .text)
        try location.encode(to: encoder)
    }
}
