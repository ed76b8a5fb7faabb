/// Cuts text into chunks. Pure and deterministic: the same text and
/// settings always give the same chunks, so unchanged leading parts of an
/// edited document keep their chunk text (and their cached embeddings).
public protocol Chunker: Sendable {
    /// Identifies the algorithm and its settings; a change re-indexes documents.
    var fingerprint: String { get }
    func chunk(_ text: String) -> [Chunk]
}
