import Foundation
import NIOCore
import NIOFoundationCompat
import PostgresNIO
import SluiceCore

extension PostgresStore: EmbeddingCache {
    public func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash> {
        Set(try await embeddings(modelKey: modelKey, textHashes: textHashes, vectors: false).keys)
    }

    public func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]] {
        try await embeddings(modelKey: modelKey, textHashes: textHashes, vectors: true)
    }

    /// The cached vectors (empty ones unless `vectors`) of those of `textHashes` that have one under `modelKey`.
    private func embeddings(modelKey: String, textHashes: [ContentHash], vectors: Bool) async throws -> [ContentHash: [Float]] {
        guard !textHashes.isEmpty else { return [:] }
        let hashes = Set(textHashes).map { ByteBuffer(bytes: $0.bytes) }
        return try await reading("reading the embedding cache") { connection in
            var found: [ContentHash: [Float]] = [:]
            for row in try await connection.run(CachedEmbeddings(vectors: vectors, model: modelKey, hashes: hashes), logger: self.logger) {
                let (hash, data) = try row.decode((Data, Data).self)
                var vector: [Float] = []
                VectorCoding.decode(data, into: &vector)
                found[ContentHash(bytes: Array(hash))] = vector
            }
            return found
        }
    }

    private struct CachedEmbeddings: PreparedStatement {
        static let sql = """
            SELECT text_hash, CASE WHEN $1::bool THEN vector ELSE ''::bytea END FROM embeddings
            WHERE model = $2::text AND text_hash = ANY($3::bytea[])
            """
        let vectors: Bool
        let model: String
        let hashes: [ByteBuffer]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(vectors)
            bindings.append(model)
            bindings.append(hashes)
            return bindings
        }
    }

    @discardableResult
    public func collectUnusedEmbeddings() async throws -> Int {
        try await transaction("collecting unused embeddings") { connection in
            let rows = try await connection.query("""
                WITH gone AS (
                    DELETE FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.text_hash = e.text_hash)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: self.logger)
            return try await rows.firstRow()?.decode(Int.self) ?? 0
        }
    }
}
