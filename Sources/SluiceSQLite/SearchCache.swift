import Foundation
import GRDB
import SluiceCore
import Synchronization

/// The embedded index's vectors of a tenant, held in memory for searching
/// (`QuantizedVectors`: a quarter of their size in the file), built by the
/// first search of the tenant and used while they are current: every
/// transaction that changes a tenant's chunks raises its generation in the
/// file (`search_generations`, by this process or any other), and a search
/// reads it in the same snapshot as everything else, so an index built at
/// another generation is never used; it is built again. Indexes past the
/// memory budget go, least recently used first.
final class SearchCache: Sendable {
    struct Key: Hashable, Sendable {
        var tenant: String
        var model: Int64
    }

    /// One tenant's vectors under one model, as of `generation`.
    final class Index: Sendable {
        let generation: Int64
        let vectors: QuantizedVectors
        /// Per vector: its chunk's row id, and its document's number in `documents`.
        let chunkIDs: [Int64]
        let documentOf: [Int32]
        let documents: [String: Int32]

        init(generation: Int64, vectors: QuantizedVectors, chunkIDs: [Int64], documentOf: [Int32], documents: [String: Int32]) {
            self.generation = generation
            self.vectors = vectors
            self.chunkIDs = chunkIDs
            self.documentOf = documentOf
            self.documents = documents
        }

        /// Memory held, in bytes (a document's name and entry counted as 64).
        var bytes: Int { vectors.bytes + chunkIDs.capacity * 8 + documentOf.capacity * 4 + documents.count * 64 }
    }

    private struct State {
        var indexes: [Key: (index: Index, used: UInt64)] = [:]
        var tick: UInt64 = 0
        var bytes: Int { indexes.values.reduce(0) { $0 + $1.index.bytes } }
    }

    private let state = Mutex(State())
    /// The most memory the indexes may hold together.
    let budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    /// The index of `key` if it was built at `generation`.
    func index(_ key: Key, at generation: Int64) -> Index? {
        state.withLock { state in
            guard let entry = state.indexes[key], entry.index.generation == generation else { return nil }
            state.tick += 1
            state.indexes[key]?.used = state.tick
            return entry.index
        }
    }

    /// Keeps `index` (replacing an older one of `key`), then lets the least
    /// recently used go until all fit the budget. One larger than the whole
    /// budget is not kept (it serves the search that built it).
    func keep(_ index: Index, for key: Key) {
        state.withLock { state in
            state.indexes[key] = nil
            guard index.bytes <= budget else { return }
            state.tick += 1
            state.indexes[key] = (index, state.tick)
            var total = state.bytes
            while total > budget, let oldest = state.indexes.min(by: { $0.value.used < $1.value.used }) {
                total -= oldest.value.index.bytes
                state.indexes[oldest.key] = nil
            }
        }
    }

    /// Memory the kept indexes hold, in bytes.
    var bytes: Int { state.withLock { $0.bytes } }
}

extension SearchCache.Index {
    /// Reads every vector of `tenant` under `model` from the file.
    static func build(_ db: Database, tenant: String, model: Int64, dimension: Int, generation: Int64) throws -> SearchCache.Index {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunks INDEXED BY chunks_for_search WHERE tenant = ?", arguments: [tenant]) ?? 0
        var vectors = QuantizedVectors(dimension: dimension)
        vectors.reserve(count)
        var chunkIDs: [Int64] = []
        chunkIDs.reserveCapacity(count)
        var documentOf: [Int32] = []
        documentOf.reserveCapacity(count)
        var documents: [String: Int32] = [:]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT c.id, c.doc_id, e.vector FROM chunks c INDEXED BY chunks_for_search
            JOIN embeddings e ON e.id = c.embedding
            WHERE c.tenant = ? AND e.model = ?
            """, arguments: [tenant, model])
        while let row = try cursor.next() {
            let appended = try row.withUnsafeData(atIndex: 2) { data -> Bool in
                guard let data, data.count == dimension * 4 else { return false }
                data.withUnsafeBytes { raw in vectors.append(raw.bindMemory(to: Float.self)) }
                return true
            }
            guard appended else { continue }
            chunkIDs.append(row[0])
            let docId: String = row[1]
            if let number = documents[docId] {
                documentOf.append(number)
            } else {
                let number = Int32(documents.count)
                documents[docId] = number
                documentOf.append(number)
            }
        }
        return SearchCache.Index(generation: generation, vectors: vectors, chunkIDs: chunkIDs, documentOf: documentOf, documents: documents)
    }
}
