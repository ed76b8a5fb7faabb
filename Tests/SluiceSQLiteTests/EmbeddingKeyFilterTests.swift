import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The filter that spares new chunks their embedding-cache lookups: it never
/// takes a cached key for absent (built from the tables, kept in step by the
/// writer, built again when full or when another connection wrote), and it
/// takes few absent keys for cached ones.
@Suite struct EmbeddingKeyFilterTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("sluice-key-filter")
    }

    func hash(_ text: String) -> Data { Data(ContentHash.of(text).bytes) }

    /// A new store file with every table, opened without `SQLiteStore` (and its own filter).
    func migratedQueue(_ name: String) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: directory.path + "/" + name)
        try SQLiteStore.migrator.migrate(queue)
        return queue
    }

    @Test func everyKeyInTheTablesMayBeThereAndFewOthersSeemSo() throws {
        let queue = try migratedQueue("keys.sqlite")
        let filter = EmbeddingKeyFilter(minimumCapacity: 10_000)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO models (id, key, dimension) VALUES (1, 'test/1', 1), (2, 'other/1', 1)")
            for index in 0..<3_000 {
                try EmbeddingKeys.addVector(db, model: 1, textHash: hash("key \(index)"))
                // A thousand keys in each of the three tables.
                if index == 999 { try EmbeddingKeys.mergeIfLarge(db, staged: 0, newer: 0) }
                if index == 1_999 { try EmbeddingKeys.mergeIfLarge(db, staged: 0, newer: .max) }
            }
            #expect(filter.capacity == 0, "not built: it tells nothing")
            #expect(filter.mayContain(model: 1, textHash: hash("never")))
            let unknown = [ContentHash.of("never"), ContentHash.of("never"), ContentHash.of("key 0")]
            #expect(Set(filter.candidates(modelKey: "test/1", unknown)) == Set(unknown), "every key is looked up")
            try filter.prepare(db)
            #expect(filter.capacity == 10_000)
        }
        for index in 0..<3_000 {
            #expect(filter.mayContain(model: 1, textHash: hash("key \(index)")), "key \(index), merged or staged")
        }
        let absent = (0..<20_000).filter { filter.mayContain(model: 1, textHash: hash("absent \($0)")) }.count
        let otherModel = (0..<3_000).filter { filter.mayContain(model: 2, textHash: hash("key \($0)")) }.count
        #expect(absent < 100, "\(absent) of 20,000 absent keys seemed cached")
        #expect(otherModel < 30, "\(otherModel) of another model's keys seemed cached")
        #expect(filter.candidates(modelKey: "unknown/1", [ContentHash.of("key 0")]) == [])
        #expect(Set(filter.candidates(modelKey: "test/1", [ContentHash.of("key 0"), ContentHash.of("key 1")])) == [
            ContentHash.of("key 0"), ContentHash.of("key 1"),
        ])
    }

    /// A store whose writer completes `texts` as one document's chunks under `model`.
    func complete(_ store: SQLiteStore, clock: ManualClock, doc: String, model: String, texts: [String]) async throws {
        try await store.enqueue([JobQueueConformance.change(doc)])
        clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        let chunks = texts.enumerated().map { IndexedChunk(ordinal: $0, text: $1, textHash: ContentHash.of($1), vector: [1, 0, 0]) }
        let document = IndexedDocument(
            contentHash: ContentHash.of(doc + texts.joined()), title: nil, chunks: chunks, modelKey: model, dimension: 3, settingsFingerprint: "fp")
        #expect(try await store.complete([Completion(lease: lease, result: .indexed(document))]) == [.applied])
    }

    func vectorRows(_ path: String, _ text: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM embeddings WHERE text_hash = ?", arguments: [hash(text)]) ?? 0
        }
    }

    @Test func aModelRegisteredAfterTheFilterWasBuiltHasItsKeysFound() async throws {
        let clock = ManualClock()
        let store = try SQLiteStore(path: directory.path + "/models.sqlite", clock: clock)
        try await complete(store, clock: clock, doc: "a.md", model: "first/3", texts: ["alpha", "beta"])
        #expect(try await store.cachedEmbeddings(modelKey: "second/3", textHashes: [ContentHash.of("alpha")]) == [])
        try await complete(store, clock: clock, doc: "b.md", model: "second/3", texts: ["alpha", "gamma"])
        let hashes = ["alpha", "beta", "gamma"].map(ContentHash.of)
        #expect(try await store.cachedEmbeddings(modelKey: "first/3", textHashes: hashes) == Set(hashes.prefix(2)))
        #expect(try await store.cachedEmbeddings(modelKey: "second/3", textHashes: hashes) == [hashes[0], hashes[2]])
        #expect(try await store.embeddings(modelKey: "second/3", textHashes: hashes).keys.sorted { $0.hex < $1.hex }
            == [hashes[0], hashes[2]].sorted { $0.hex < $1.hex })
    }

    /// Another process on the same file (here another store) adds a key this
    /// store's filter never saw: its writer notices the other commit, builds
    /// the filter again, and uses the vector row that is there instead of
    /// staging the key a second time (which the staged keys' primary key refuses).
    @Test func aKeyAnotherConnectionAddedIsFoundByTheWriter() async throws {
        let clock = ManualClock()
        let path = directory.path + "/shared.sqlite"
        let store = try SQLiteStore(path: path, clock: clock)
        try await complete(store, clock: clock, doc: "a.md", model: "test/3", texts: ["alpha"])
        let other = try SQLiteStore(path: path, clock: clock)
        try await complete(other, clock: clock, doc: "b.md", model: "test/3", texts: ["shared"])
        #expect(try vectorRows(path, "shared") == 1)

        try await complete(store, clock: clock, doc: "c.md", model: "test/3", texts: ["shared", "own"])
        #expect(try vectorRows(path, "shared") == 1, "the other store's vector is used, not a second one")
        #expect(try await store.cachedEmbeddings(modelKey: "test/3", textHashes: [ContentHash.of("shared"), ContentHash.of("own")]).count == 2)
    }

    @Test func aFullFilterIsBuiltAgainLargerAndStillKnowsEveryKey() throws {
        let queue = try migratedQueue("full.sqlite")
        let filter = EmbeddingKeyFilter(minimumCapacity: 100)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO models (id, key, dimension) VALUES (1, 'test/1', 1)")
            try filter.prepare(db)
            #expect(filter.capacity == 100)
            for index in 0..<150 {
                try EmbeddingKeys.addVector(db, model: 1, textHash: hash("key \(index)"))
                filter.insert(model: 1, textHash: hash("key \(index)"))
            }
            try filter.prepare(db)
            #expect(filter.capacity == 300, "built again for twice the keys")
        }
        for index in 0..<150 {
            #expect(filter.mayContain(model: 1, textHash: hash("key \(index)")))
        }
    }
}
