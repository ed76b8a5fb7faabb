import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: VectorIndex {
    /// The `k` chunks nearest `vector`: the tenant's vectors scanned in memory
    /// (`SearchCache`: built by the first search, kept current with this
    /// process's changes, built again after another process's), the best
    /// `max(4k, 40)` of that approximate scan scored again with their exact
    /// vectors from the file. A tenant's searches pass `searchGate` one at a
    /// time, so its many connections cannot hold every reader of the store.
    public func search(
        tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String] = [:]
    ) async throws -> [SearchHit] {
        try await searchGate.passing(tenant.rawValue) { try await indexedSearch(tenant: tenant, vector: vector, modelKey: modelKey, k: k, attributes: attributes) }
    }

    private func indexedSearch(
        tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String]
    ) async throws -> [SearchHit] {
        try await read("searching \(tenant)") { db in
            guard k > 0, let model = try SQLiteStore.modelID(db, key: modelKey, dimension: vector.count, create: false) else {
                return []
            }
            let generation = try Int64.fetchOne(
                db, sql: "SELECT generation FROM search_generations WHERE tenant = ?", arguments: [tenant.rawValue]) ?? 0
            var matching: Set<String>?
            if !attributes.isEmpty {
                let documents = SQLiteStore.matchingDocuments(tenant, attributes)
                matching = Set(try String.fetchAll(db, sql: documents.sql, arguments: documents.arguments))
            }
            let key = SearchCache.Key(tenant: tenant.rawValue, model: model)
            let limit = max(4 * k, 40)
            let ids: [Int64]
            if let kept = self.searchCache.index(key), let found = kept.candidates(at: generation, query: vector, limit: limit, matching: matching) {
                ids = found
            } else {
                // Vectors the budget could not keep are not worth building for one query: scan the file.
                let count = try SearchCache.Index.chunkCount(db, tenant: tenant.rawValue)
                guard SearchCache.Index.estimatedBytes(count: count, dimension: vector.count) <= self.searchCache.budget else {
                    return try SQLiteStore.exactScan(db, tenant: tenant, vector: vector, model: model, k: k, attributes: attributes)
                }
                let built = try SearchCache.Index.build(
                    db, tenant: tenant.rawValue, model: model, dimension: vector.count, generation: generation, count: count)
                self.searchCache.builds.add(1, ordering: .relaxed)
                self.searchCache.keep(built, for: key)
                ids = built.candidates(at: generation, query: vector, limit: limit, matching: matching) ?? []
            }
            guard !ids.isEmpty else { return [] }
            // The candidates' exact vectors, scored again.
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.id = c.embedding
                WHERE c.id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))
                """, arguments: StatementArguments(ids))
            var best = TopK<Int64>(k: k)
            try SQLiteStore.score(cursor, against: vector, into: &best)
            return try SQLiteStore.hits(db, tenant, best.sorted)
        }
    }

    /// Memory the search's in-memory vectors hold now, in bytes.
    public var searchMemoryBytes: Int { searchCache.bytes }

    /// How many times a search built a tenant's in-memory vectors from the file.
    public var searchIndexBuilds: Int { searchCache.builds.load(ordering: .relaxed) }

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
            return try SQLiteStore.exactScan(db, tenant: tenant, vector: vector, model: model, k: k, attributes: attributes)
        }
    }

    /// `exactSearch` inside a read.
    static func exactScan(
        _ db: Database, tenant: TenantID, vector: [Float], model: Int64, k: Int, attributes: [String: String]
    ) throws -> [SearchHit] {
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
            let documents = SQLiteStore.matchingDocuments(tenant, attributes)
            cursor = try Row.fetchCursor(db, sql: """
                SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_by_document
                JOIN embeddings e ON e.id = c.embedding
                WHERE c.tenant = ? AND e.model = ? AND c.doc_id IN (\(documents.sql))
                """, arguments: [tenant.rawValue, model] + documents.arguments)
        }
        var best = TopK<Int64>(k: k)
        try SQLiteStore.score(cursor, against: vector, into: &best)
        return try SQLiteStore.hits(db, tenant, best.sorted)
    }

    /// The indexed documents of `tenant` whose attributes hold every one of `attributes`.
    static func matchingDocuments(_ tenant: TenantID, _ attributes: [String: String]) -> (sql: String, arguments: StatementArguments) {
        let conditions = Array(
            repeating: "EXISTS (SELECT 1 FROM json_each(d.meta, '$.attributes') WHERE key = ? AND value = ?)",
            count: attributes.count
        ).joined(separator: " AND ")
        var arguments: StatementArguments = [tenant.rawValue]
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) { arguments += [key, value] }
        return ("SELECT d.doc_id FROM documents d WHERE d.tenant = ? AND d.status = 'indexed' AND \(conditions)", arguments)
    }

    /// Offers every (chunk id, vector) row of `cursor` to `best`, scored by its dot product with `query`.
    static func score(_ cursor: RowCursor, against query: [Float], into best: inout TopK<Int64>) throws {
        try query.withUnsafeBufferPointer { query in
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
    }

    /// The chunks of `ranked` (chunk ids, best first) as search hits.
    static func hits(_ db: Database, _ tenant: TenantID, _ ranked: [(score: Float, item: Int64)]) throws -> [SearchHit] {
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

extension SQLiteStore: EmbeddingCache {
    public func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash> {
        let candidates = keyFilter.candidates(modelKey: modelKey, textHashes)
        guard !candidates.isEmpty else { return [] }
        return try await read("reading the embedding cache") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return []
            }
            var found = Set<ContentHash>()
            for hash in candidates where try EmbeddingKeys.find(db, model: model, textHash: Data(hash.bytes)) != nil {
                found.insert(hash)
            }
            return found
        }
    }

    public func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]] {
        let candidates = keyFilter.candidates(modelKey: modelKey, textHashes)
        guard !candidates.isEmpty else { return [:] }
        return try await read("reading cached vectors") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return [:]
            }
            let statement = try db.cachedStatement(sql: "SELECT vector FROM embeddings WHERE id = ?")
            var found: [ContentHash: [Float]] = [:]
            for hash in candidates {
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
