/// One stored chunk, as `sluice export` writes it.
public struct ExportedChunk: Sendable, Equatable {
    public var tenant: String
    public var docId: String
    public var ordinal: Int
    public var chunkId: String
    public var text: String
    /// SHA-256 of the chunk's text.
    public var textHash: String
    /// SHA-256 of the document version the chunk came from.
    public var contentHash: String
    public var revision: Int64
    /// The chunk's headings and pages, slides or sheets.
    public var location: ChunkLocation

    public init(
        tenant: String, docId: String, ordinal: Int, chunkId: String, text: String, textHash: String,
        contentHash: String, revision: Int64, location: ChunkLocation = ChunkLocation()
    ) {
        self.tenant = tenant
        self.docId = docId
        self.ordinal = ordinal
        self.chunkId = chunkId
        self.text = text
        self.textHash = textHash
        self.contentHash = contentHash
        self.revision = revision
        self.location = location
    }
}

extension ExportedChunk: Codable {
    private enum CodingKeys: String, CodingKey { case tenant, docId, ordinal, chunkId, text, textHash, contentHash, revision }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), docId: try container.decode(String.self, forKey: .docId),
            ordinal: try container.decode(Int.self, forKey: .ordinal), chunkId: try container.decode(String.self, forKey: .chunkId),
            text: try container.decode(String.self, forKey: .text), textHash: try container.decode(String.self, forKey: .textHash),
            contentHash: try container.decode(String.self, forKey: .contentHash),
            revision: try container.decode(Int64.self, forKey: .revision), location: try ChunkLocation(from: decoder))
    }

    /// The location's keys sit beside the others (`headingPath`, `page`...).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(docId, forKey: .docId)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(chunkId, forKey: .chunkId)
        try container.encode(text, forKey: .text)
        try container.encode(textHash, forKey: .textHash)
        try container.encode(contentHash, forKey: .contentHash)
        try container.encode(revision, forKey: .revision)
        try location.encode(to: encoder)
    }
}
