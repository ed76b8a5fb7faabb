/// Cuts text into chunks. Pure and deterministic: the same text and
/// settings always give the same chunks, so unchanged leading parts of an
/// edited document keep their chunk text (and their cached embeddings).
public protocol Chunker: Sendable {
    /// Identifies the algorithm and its settings; a change re-indexes documents.
    var fingerprint: String { get }
    /// Chunks `text`, starting chunks at `places` where it can, and records
    /// in each chunk its location (headings and places).
    func chunk(_ text: String, places: [Place]) -> [Chunk]
}

extension Chunker {
    public func chunk(_ text: String) -> [Chunk] { chunk(text, places: []) }

    public func chunk(_ extracted: ExtractedText) -> [Chunk] { chunk(extracted.text, places: extracted.places) }
}
