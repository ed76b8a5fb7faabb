import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: VectorIndex {
    public func search(
        tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String] = [:]
    ) async throws -> [SearchHit] {
        try await exactSearch(tenant: tenant, vector: vector, modelKey: modelKey, k: k, attributes: attributes)
    }

    /// The `k` chunks nearest `vector` by an exact scan of every vector of
    /// the tenant (read from the file, none kept): the reference the search's
    /// recall is measured against.
    public func exactSearch(
        tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String] = [:]
    ) async throws -> [SearchHit] {
        try await read("searching \(tenant)") { db in
            guard k > 0, let model = try SQLiteStore.modelID(db, key: modelKey, dimension: vector.count, create: false) else {
                return []
            }
            let cursor: RowCursor
            if attributes.isEmpty {
                // Scan the covering index (tenant, embedding) and read each vector by id, in id order.
                cursor = try Row.fetchCursor(db, sql: """
                    SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_for_search
                    JOIN embeddings e ON e.id = c.embedding
                    WHERE c.tenant = ? AND e.model = ?
                    """, arguments: [tenant.rawValue, model])
            } else {
                // The matching documents first, then their chunks by document.
                let conditions = Array(
                    repeating: "EXISTS (SELECT 1 FROM json_each(d.meta, '$.attributes') WHERE key = ? AND value = ?)",
                    count: attributes.count
                ).joined(separator: " AND ")
                var arguments: StatementArguments = [tenant.rawValue, model, tenant.rawValue]
                for (key, value) in attributes.sorted(by: { $0.key < $1.key }) { arguments += [key, value] }
                cursor = try Row.fetchCursor(db, sql: """
                    SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_by_document
                    JOIN embeddings e ON e.id = c.embedding
                    WHERE c.tenant = ? AND e.model = ? AND c.doc_id IN (
                        SELECT d.doc_id FROM documents d WHERE d.tenant = ? AND d.status = 'indexed' AND \(conditions))
                    """, arguments: arguments)
            }
            var best = TopK<Int64>(k: k)
            try vector.withUnsafeBufferPointer { query in
                while let row = try cursor.next() {
                    let rowid: Int64 = row[0]
                    let score = try row.withUnsafeData(atIndex: 1) { data -> Float in
                        guard let data, data.count == query.count * 4 else { return -.infinity }
                        return data.withUnsafeBytes { raw in
                            VectorMath.dot(query, raw.bindMemory(to: Float.self))
                        }
                    }
                    best.offer(score, rowid)
                }
            }
            let ranked = best.sorted
            guard !ranked.isEmpty else { return [] }
            let ids = ranked.map(\.item)
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, doc_id, ordinal, text, heading_path, places FROM chunks WHERE id IN (\(placeholders))",
                arguments: StatementArguments(ids))
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as Int64, $0) })
            return ranked.compactMap { entry in
                guard let row = byID[entry.item] else { return nil }
                return SearchHit(
                    tenant: tenant.rawValue, docId: row["doc_id"], ordinal: row["ordinal"], score: entry.score,
                    text: row["text"], location: ChunkLocation(headingPathColumn: row["heading_path"], placesColumn: row["places"]))
            }
        }
    }
}

extension SQLiteStore: EmbeddingCache {
    public func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash> {
        guard !textHashes.isEmpty else { return [] }
        return try await read("reading the embedding cache") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return []
            }
            var found = Set<ContentHash>()
            for hash in Set(textHashes) where try EmbeddingKeys.find(db, model: model, textHash: Data(hash.bytes)) != nil {
                found.insert(hash)
            }
            return found
        }
    }

    public func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]] {
        guard !textHashes.isEmpty else { return [:] }
        return try await read("reading cached vectors") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return [:]
            }
            let statement = try db.cachedStatement(sql: "SELECT vector FROM embeddings WHERE id = ?")
            var found: [ContentHash: [Float]] = [:]
            for hash in Set(textHashes) {
                guard let id = try EmbeddingKeys.find(db, model: model, textHash: Data(hash.bytes)),
                    let data = try Data.fetchOne(statement, arguments: [id])
                else { continue }
                var vector: [Float] = []
                VectorCoding.decode(data, into: &vector)
                found[hash] = vector
            }
            return found
        }
    }

    @discardableResult
    public func collectUnusedEmbeddings() async throws -> Int {
        try await write("collecting unused embeddings") { db in try EmbeddingKeys.collectUnused(db) }
    }
}
