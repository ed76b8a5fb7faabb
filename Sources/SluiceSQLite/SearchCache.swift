import Foundation
import GRDB
import SluiceCore
import Synchronization

/// The embedded index's vectors of a tenant, held in memory for searching
/// (`QuantizedVectors`: a quarter of their size in the file), built by the
/// first search of the tenant and used while they are current: every
/// transaction that changes a tenant's chunks raises its generation in the
/// file (`search_generations`, by this process or any other), and a search
/// reads it in the same snapshot as everything else, so an index at another
/// generation is never used. This process's own changes are applied to the
/// index once they are committed (`apply`: the changed documents' vectors
/// replaced, as of the new generation); another process's make the next
/// search build it again. Indexes past the memory budget go, least recently
/// used first.
final class SearchCache: Sendable {
    struct Key: Hashable, Sendable {
        var tenant: String
        var model: Int64
    }

    /// One tenant's vectors under one model. A search scans it while holding
    /// its lock; a committed change is applied under the lock too.
    final class Index: Sendable {
        struct State: Sendable {
            var generation: Int64
            var vectors: QuantizedVectors
            /// Per vector: its chunk's row id, its document's number, and whether it was replaced or removed since.
            var chunkIDs: [Int64] = []
            var documentOf: [Int32] = []
            var removed: [Bool] = []
            var removedCount = 0
            /// Each document's number, and per number its live vectors.
            var documents: [String: Int32] = [:]
            var slots: [[Int32]] = []

            /// Memory held, in bytes (a document's name and entry counted as 64).
            var bytes: Int {
                vectors.bytes + chunkIDs.capacity * 8 + documentOf.capacity * 4 + removed.capacity + documents.count * 64 + slots.count * 32
                    + (vectors.count - removedCount) * 4
            }

            mutating func append(_ chunkID: Int64, document: String, vector: UnsafeBufferPointer<Float>) {
                let number: Int32
                if let known = documents[document] {
                    number = known
                } else {
                    number = Int32(slots.count)
                    documents[document] = number
                    slots.append([])
                }
                slots[Int(number)].append(Int32(vectors.count))
                vectors.append(vector)
                chunkIDs.append(chunkID)
                documentOf.append(number)
                removed.append(false)
            }

            /// Replaces the vectors of the documents of `change`, as of its generation.
            mutating func apply(_ change: DocumentsChange) {
                for document in change.documents {
                    if let number = documents[document.docId] {
                        for slot in slots[Int(number)] where !removed[Int(slot)] {
                            removed[Int(slot)] = true
                            removedCount += 1
                        }
                        slots[Int(number)] = []
                    }
                    for row in document.rows {
                        row.vector.withUnsafeBytes { raw in append(row.chunkID, document: document.docId, vector: raw.bindMemory(to: Float.self)) }
                    }
                }
                generation = change.generation
            }
        }

        let state: Mutex<State>

        init(_ state: State) {
            self.state = Mutex(state)
        }

        var generation: Int64 { state.withLock { $0.generation } }
        var bytes: Int { state.withLock { $0.bytes } }
    }

    /// What one committed transaction did to a tenant's chunks under one
    /// model: each changed document's rows as they are now (none: it has no
    /// chunks left), and the tenant's generation after it.
    struct DocumentsChange: Sendable {
        struct Document: Sendable {
            var docId: String
            var rows: [(chunkID: Int64, vector: Data)]
        }
        var key: Key
        var generation: Int64
        var documents: [Document]
    }

    private struct State {
        var indexes: [Key: (index: Index, used: UInt64)] = [:]
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most memory the indexes may hold together.
    let budget: Int
    /// Indexes built from the file so far (the first search of a tenant, or one after another process's change).
    let builds = Atomic<Int>(0)

    init(budget: Int) {
        self.budget = budget
    }

    /// The index of `key`, if one is kept (current or not: the caller checks under its lock).
    func index(_ key: Key) -> Index? {
        state.withLock { state in
            guard let entry = state.indexes[key] else { return nil }
            state.tick += 1
            state.indexes[key]?.used = state.tick
            return entry.index
        }
    }

    /// The models of `tenant` with an index kept.
    func keys(of tenant: String) -> [Key] {
        state.withLock { state in state.indexes.keys.filter { $0.tenant == tenant } }
    }

    /// Keeps `index` for `key`, unless one of a later generation is kept
    /// already (a search on an older snapshot built it); then lets the least
    /// recently used go until all fit the budget. One larger than the whole
    /// budget is not kept (it serves the search that built it).
    func keep(_ index: Index, for key: Key) {
        let (generation, bytes) = index.state.withLock { ($0.generation, $0.bytes) }
        guard bytes <= budget else { return }
        if let kept = state.withLock({ $0.indexes[key]?.index }), kept !== index, kept.generation > generation { return }
        let indexes = state.withLock { state -> [Key: Index] in
            state.tick += 1
            state.indexes[key] = (index, state.tick)
            return state.indexes.mapValues(\.index)
        }
        evict(indexes)
    }

    /// Applies this process's committed changes to the indexes kept: an index
    /// at the generation just before a change gets it; one already at the
    /// change's generation (a search built it since) is left; any other was
    /// stale and goes. One with a quarter of its vectors replaced goes too, to
    /// be built again compactly.
    func apply(_ changes: [DocumentsChange]) {
        var grown: [Key: Index] = [:]
        for change in changes {
            guard let index = state.withLock({ $0.indexes[change.key]?.index }) else { continue }
            let keep = index.state.withLock { state -> Bool in
                if state.generation == change.generation { return true }
                guard state.generation == change.generation - 1 else { return false }
                state.apply(change)
                return state.removedCount * 4 <= max(state.vectors.count, 1)
            }
            if keep {
                grown[change.key] = index
            } else {
                state.withLock { state in
                    if state.indexes[change.key]?.index === index { state.indexes[change.key] = nil }
                }
            }
        }
        if !grown.isEmpty { evict(state.withLock { $0.indexes.mapValues(\.index) }) }
    }

    /// Lets the least recently used indexes go until the rest fit the budget.
    private func evict(_ indexes: [Key: Index]) {
        var sizes = indexes.mapValues(\.bytes)
        var total = sizes.values.reduce(0, +)
        guard total > budget else { return }
        state.withLock { state in
            while total > budget, let oldest = state.indexes.min(by: { $0.value.used < $1.value.used }) {
                total -= sizes[oldest.key] ?? 0
                sizes[oldest.key] = nil
                state.indexes[oldest.key] = nil
            }
        }
    }

    /// Memory the kept indexes hold, in bytes.
    var bytes: Int { state.withLock { $0.indexes.values.map(\.index) }.reduce(0) { $0 + $1.bytes } }
}

extension SearchCache.Index {
    /// The chunk ids of the `limit` vectors nearest `query` (approximately),
    /// among the documents of `matching` (all when nil); nil when the index is
    /// not at `generation`.
    func candidates(at generation: Int64, query: [Float], limit: Int, matching: Set<String>?) -> [Int64]? {
        state.withLock { state in
            guard state.generation == generation else { return nil }
            var excluded: [Bool]?
            if let matching {
                var allowed = [Bool](repeating: false, count: state.slots.count)
                for docId in matching {
                    if let number = state.documents[docId] { allowed[Int(number)] = true }
                }
                excluded = zip(state.removed, state.documentOf).map { removed, document in removed || !allowed[Int(document)] }
            } else if state.removedCount > 0 {
                excluded = state.removed
            }
            let found = state.vectors.nearest(query, limit: limit, excluded: excluded)
            return found.map { state.chunkIDs[$0.index] }
        }
    }

    /// The chunks of `tenant`, counted in the search's index.
    static func chunkCount(_ db: Database, tenant: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM chunks INDEXED BY chunks_for_search WHERE tenant = ?", arguments: [tenant]) ?? 0
    }

    /// About what an index of `count` vectors of `dimension` holds: codes, scale, chunk id, document number, flag.
    static func estimatedBytes(count: Int, dimension: Int) -> Int {
        count * ((dimension + 31) / 32 * 32 + 4 + 8 + 4 + 1)
    }

    /// Reads every vector of `tenant` under `model` from the file (`count`: its chunks, as `chunkCount` says, to reserve for).
    static func build(_ db: Database, tenant: String, model: Int64, dimension: Int, generation: Int64, count: Int) throws -> SearchCache.Index {
        var state = State(generation: generation, vectors: QuantizedVectors(dimension: dimension))
        state.vectors.reserve(count)
        state.chunkIDs.reserveCapacity(count)
        state.documentOf.reserveCapacity(count)
        state.removed.reserveCapacity(count)
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT c.id, c.doc_id, e.vector FROM chunks c INDEXED BY chunks_for_search
            JOIN embeddings e ON e.id = c.embedding
            WHERE c.tenant = ? AND e.model = ?
            """, arguments: [tenant, model])
        while let row = try cursor.next() {
            let chunkID: Int64 = row[0]
            let docId: String = row[1]
            try row.withUnsafeData(atIndex: 2) { data in
                guard let data, data.count == dimension * 4 else { return }
                data.withUnsafeBytes { raw in state.append(chunkID, document: docId, vector: raw.bindMemory(to: Float.self)) }
            }
        }
        return SearchCache.Index(state)
    }
}
