/// The embedded vector index: searched by the embedded sink. A backend that
/// keeps only queue and state (the sink being remote) need not provide it.
///
/// Search is scoped to one tenant and one embedding model, so vectors of two
/// models never mix. May throw `SluiceError(.storage)`.
public protocol VectorIndex: Sendable {
    /// Top `k` chunks of `tenant` by cosine similarity to `vector` among
    /// chunks embedded by `modelKey`; with `attributes`, only chunks of
    /// documents whose `meta.attributes` hold every one of those values.
    func search(tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String]) async throws -> [SearchHit]
}

/// Vectors already computed, by model and chunk text hash, so unchanged
/// chunks are never embedded twice. A completion stores its new vectors.
/// Every method may throw `SluiceError(.storage)`.
public protocol EmbeddingCache: Sendable {
    /// Which of `hashes` already have a vector under `modelKey`.
    func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash>

    /// The cached vectors of those of `textHashes` that have one under `modelKey`
    /// (a remote sink needs every chunk's vector, not only the new ones).
    func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]]

    /// Deletes vectors no chunk refers to. Only safe while no worker runs.
    @discardableResult
    func collectUnusedEmbeddings() async throws -> Int
}
