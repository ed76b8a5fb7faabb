import SluiceCore

/// The vectors of a batch's chunk texts: those the embedding cache holds are
/// reused, the others embedded, `batchSize` texts per call.
struct ChunkEmbedding: Sendable {
    let embedder: any Embedder
    let cache: any EmbeddingCache
    let batchSize: Int
    /// A remote sink needs every chunk's vector; the embedded index refers to cached ones by id.
    let needsCachedVectors: Bool
    let metrics: SluiceMetrics

    struct Result {
        /// The vectors embedded now, by text hash.
        var vectors: [ContentHash: [Float]] = [:]
        /// With `needsCachedVectors`: the cached vectors, by text hash.
        var cachedVectors: [ContentHash: [Float]] = [:]
        /// How many texts the cache held.
        var reused = 0
        /// Why embedding stopped (the texts after it have no vector); the documents that needed them fail.
        var error: (any Error)?
    }

    /// Throws only when the store cannot be read; the embedder's failure is in the result.
    func vectors(for texts: [ContentHash: String]) async throws -> Result {
        var result = Result()
        guard !texts.isEmpty else { return result }
        let cached: Set<ContentHash>
        if needsCachedVectors {
            result.cachedVectors = try await cache.embeddings(modelKey: embedder.modelKey, textHashes: Array(texts.keys))
            cached = Set(result.cachedVectors.keys)
        } else {
            cached = try await cache.cachedEmbeddings(modelKey: embedder.modelKey, textHashes: Array(texts.keys))
        }
        result.reused = cached.count
        let missing = Array(texts.filter { !cached.contains($0.key) })
        let embedding = ContinuousClock.now
        defer { if !missing.isEmpty { metrics.stage("embed", ContinuousClock.now - embedding) } }
        do {
            for batch in missing.chunks(of: batchSize) {
                let vectors = try await embedder.embed(batch.map(\.value))
                guard vectors.count == batch.count, vectors.allSatisfy({ $0.count == embedder.dimension }) else {
                    throw SluiceError(.embedding, "the embedder returned \(vectors.count) vectors for \(batch.count) texts, or vectors of the wrong dimension (expected \(embedder.dimension))")
                }
                for (entry, vector) in zip(batch, vectors) { result.vectors[entry.key] = vector }
            }
        } catch {
            result.error = error
        }
        metrics.chunks(embedded: result.vectors.count, reused: result.reused)
        return result
    }
}
