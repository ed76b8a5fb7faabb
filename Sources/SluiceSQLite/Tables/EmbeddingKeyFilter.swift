import Foundation
import GRDB
import SluiceCore
import Synchronization

/// Which embedding-cache keys may be in the store: a Bloom filter over every
/// (model, text hash) of the three tables of `EmbeddingKeys`, kept in
/// step by the single writer. A key it has not seen is certainly not cached,
/// so a chunk never embedded before (every chunk of a first onboarding) costs
/// no lookup in the tables of random keys, neither in the worker's cache
/// read nor in the writer. A key it has seen is looked up as before (of the
/// absent keys, at most about one in 1,400 passes for one that may be there).
///
/// The writer builds it inside a write transaction, when no key can be added
/// meanwhile, on the first completion of the process; until then it tells
/// nothing and every key is looked up. Keys are added to it in the
/// transaction that adds them, before they are visible to any reader. Only
/// this process's writer adds keys: another connection that commits (another
/// process on the same file) changes `PRAGMA data_version` as the writer sees
/// it, and the writer builds the filter again before trusting it. A reader
/// that meanwhile takes a key added elsewhere for absent only embeds that
/// chunk again: the writer, filter rebuilt, finds the key and uses its row.
/// Collected keys stay in the filter (a lookup for nothing, never a wrong
/// answer) until it is built again, when what it was built for is full.
final class EmbeddingKeyFilter: Sendable {
    /// At 16 bits a key or more (the bit count is a power of two) and 7
    /// probes, at most about one absent key in 1,400 passes, when the filter
    /// holds all the keys it was built for.
    static let probes = 7
    /// Keys a new filter is sized for at least: 1,048,576 (2 MiB of bits).
    /// Past half of that it is sized for twice the keys it holds: 4 to 8 MiB
    /// per million keys.
    let minimumCapacity: Int

    init(minimumCapacity: Int = 1 << 20) {
        self.minimumCapacity = minimumCapacity
    }

    /// The keys the filter was built for (0: not built).
    var capacity: Int { state.withLock { $0.capacity } }

    struct Bits {
        var words: [UInt64]
        /// The bit count minus one (a power of two minus one).
        var mask: UInt64
        /// Keys it was sized for; built again past them.
        var capacity: Int
        /// Keys set, including those collected since it was built.
        var inserted = 0
        /// The models' ids by key, as the writer knows them: a model the filter does not know has no key.
        var models: [String: Int64]
        /// `PRAGMA data_version` on the writer's connection when built.
        var dataVersion: Int64

        /// `capacity` 0: not built, nothing known.
        init(capacity: Int, models: [String: Int64], dataVersion: Int64) {
            var bits = 64
            while bits < capacity * 16 { bits <<= 1 }
            words = [UInt64](repeating: 0, count: bits / 64)
            mask = UInt64(bits - 1)
            self.capacity = capacity
            self.models = models
            self.dataVersion = dataVersion
        }

        /// Where the probes start and how far apart they are: double hashing over two
        /// words of the SHA-256 digest, with the model mixed in.
        @inline(__always)
        static func probes(model: Int64, textHash: UnsafeRawBufferPointer) -> (first: UInt64, step: UInt64) {
            let first = textHash.loadUnaligned(fromByteOffset: 0, as: UInt64.self) ^ (UInt64(bitPattern: model) &* 0x9E37_79B9_7F4A_7C15)
            return (first, textHash.loadUnaligned(fromByteOffset: 8, as: UInt64.self) | 1)
        }

        mutating func insert(model: Int64, textHash: UnsafeRawBufferPointer) {
            let (first, step) = Bits.probes(model: model, textHash: textHash)
            for probe in 0..<UInt64(EmbeddingKeyFilter.probes) {
                let position = (first &+ probe &* step) & mask
                words[Int(position >> 6)] |= 1 << (position & 63)
            }
            inserted += 1
        }

        func mayContain(model: Int64, textHash: UnsafeRawBufferPointer) -> Bool {
            let (first, step) = Bits.probes(model: model, textHash: textHash)
            for probe in 0..<UInt64(EmbeddingKeyFilter.probes) {
                let position = (first &+ probe &* step) & mask
                if words[Int(position >> 6)] & (1 << (position & 63)) == 0 { return false }
            }
            return true
        }
    }

    /// Capacity 0 until built. (A value, not an optional: changed in place, the bits are never copied.)
    private let state = Mutex<Bits>(Bits(capacity: 0, models: [:], dataVersion: 0))

    /// In a write transaction that may add keys, before any is looked up: builds
    /// the filter if there is none, another connection committed since, or it is full.
    func prepare(_ db: Database) throws {
        let version = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        let current = state.withLock { $0.capacity > 0 && $0.dataVersion == version && $0.inserted <= $0.capacity }
        if current { return }
        state.withLock { $0 = Bits(capacity: 0, models: [:], dataVersion: 0) }
        let count = try Int.fetchOne(db, sql: "SELECT " + EmbeddingKeys.tables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: " + ")) ?? 0
        var models: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, id FROM models") { models[row[0]] = row[1] }
        var bits = Bits(capacity: max(minimumCapacity, 2 * count), models: models, dataVersion: version)
        let keys = RowStepper(
            try db.makeStatement(sql: EmbeddingKeys.tables.map { "SELECT model, text_hash FROM \($0)" }.joined(separator: " UNION ALL ")),
            in: db)
        _ = try keys.rows { columns in
            let model = columns.int64(0)
            columns.withBytes(1) { hash in
                if hash.count >= 16 { bits.insert(model: model, textHash: hash) }
            }
        }
        state.withLock { $0 = bits }
    }

    /// In the writer, after `prepare`: false when (model, textHash) is certainly not cached.
    func mayContain(model: Int64, textHash: Data) -> Bool {
        guard textHash.count >= 16 else { return true }
        return state.withLock { bits in
            bits.capacity == 0 || textHash.withUnsafeBytes { bits.mayContain(model: model, textHash: $0) }
        }
    }

    /// In the writer, in the transaction that adds the key.
    func insert(model: Int64, textHash: Data) {
        guard textHash.count >= 16 else { return }
        textHash.withUnsafeBytes { hash in
            state.withLock { bits in
                if bits.capacity > 0 { bits.insert(model: model, textHash: hash) }
            }
        }
    }

    /// In the writer, in the transaction that registers the model.
    func noteModel(_ key: String, id: Int64) {
        state.withLock { bits in
            if bits.capacity > 0 { bits.models[key] = id }
        }
    }

    /// Of `hashes` (each once), those that may be cached under `modelKey`:
    /// every one while the filter is not built.
    func candidates(modelKey: String, _ hashes: [ContentHash]) -> [ContentHash] {
        let hashes = Set(hashes)
        return state.withLock { bits in
            guard bits.capacity > 0 else { return Array(hashes) }
            guard let model = bits.models[modelKey] else { return [] }
            return hashes.filter { hash in hash.bytes.withUnsafeBytes { bits.mayContain(model: model, textHash: $0) } }
        }
    }
}
