/// A piece of a document's text, as cut by a `Chunker`.
public struct Chunk: Sendable, Equatable {
    /// Position in the document, from 0.
    public var ordinal: Int
    public var text: String
    /// Where it lies in the document: its headings and pages, slides or sheets.
    public var location: ChunkLocation

    public init(ordinal: Int, text: String, location: ChunkLocation = ChunkLocation()) {
        self.ordinal = ordinal
        self.text = text
        self.location = location
    }
}

/// A chunk ready for the index: its text, the hash of its text (the
/// embedding cache key) and, when it was embedded now, its vector. A nil
/// vector means the store already holds one for `textHash` under the
/// current embedder.
public struct IndexedChunk: Sendable, Equatable {
    public var ordinal: Int
    public var text: String
    public var textHash: ContentHash
    public var vector: [Float]?
    public var location: ChunkLocation

    public init(ordinal: Int, text: String, textHash: ContentHash, vector: [Float]?, location: ChunkLocation = ChunkLocation()) {
        self.ordinal = ordinal
        self.text = text
        self.textHash = textHash
        self.vector = vector
        self.location = location
    }
}
