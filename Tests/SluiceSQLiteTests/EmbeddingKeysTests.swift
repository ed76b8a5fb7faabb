import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The embedding cache's keys: staged in a small table, merged through a
/// middle one into the large one in key order, found in each, collected from
/// all; and a store made before they existed keeps its cache.
@Suite struct EmbeddingKeysTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("sluice-embedding-keys")
    }

    func hash(_ index: Int) -> Data { Data(ContentHash.of("text \(index)").bytes) }

    func addVector(_ db: Database, model: Int64, _ index: Int) throws -> Int64 {
        try EmbeddingKeys.addVector(db, model: model, textHash: hash(index))
    }

    func count(_ db: Database, _ table: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
    }

    @Test func keysAreFoundInEachTableAndCollectedFromAll() throws {
        let queue = try DatabaseQueue(path: directory.path + "/keys.sqlite")
        try SQLiteStore.migrator.migrate(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO models (id, key, dimension) VALUES (1, 'test/1', 1), (2, 'other/1', 1)")
            func counts() throws -> [Int] { try EmbeddingKeys.tables.map { try count(db, $0) } }
            var ids: [Int: Int64] = [:]
            for index in 0..<100 { ids[index] = try addVector(db, model: 1, index) }
            try EmbeddingKeys.mergeIfLarge(db, staged: 101, newer: 150)
            #expect(try counts() == [100, 0, 0], "below the threshold nothing moves")
            try EmbeddingKeys.mergeIfLarge(db, staged: 100, newer: 150)
            #expect(try counts() == [0, 100, 0], "staged keys go to the middle table")
            for index in 100..<160 { ids[index] = try addVector(db, model: 1, index) }
            try EmbeddingKeys.mergeIfLarge(db, staged: 60, newer: 150)
            #expect(try counts() == [0, 0, 160], "a middle table of the minimum and half the big one goes into it")
            for index in 160..<210 { ids[index] = try addVector(db, model: 1, index) }
            try EmbeddingKeys.mergeIfLarge(db, staged: 50, newer: 50)
            #expect(try counts() == [0, 50, 160], "a middle table of less than half the big one stays")
            for index in 210..<220 { ids[index] = try addVector(db, model: 1, index) }
            #expect(try counts() == [10, 50, 160])
            for index in 0..<220 {
                #expect(try EmbeddingKeys.find(db, model: 1, textHash: hash(index)) == ids[index], "key \(index)")
            }
            #expect(try EmbeddingKeys.find(db, model: 2, textHash: hash(0)) == nil, "models do not share vectors")
            #expect(try EmbeddingKeys.find(db, model: 1, textHash: hash(999)) == nil)

            // Chunks use the even vectors: the odd ones go, from every table.
            for index in stride(from: 0, to: 220, by: 2) {
                try db.execute(sql: """
                    INSERT INTO chunks (tenant, doc_id, ordinal, chunk_id, text, text_hash, embedding, revision)
                    VALUES ('acme', ?, 0, ?, 'text', ?, ?, 1)
                    """, arguments: ["doc\(index).md", "chunk\(index)", hash(index), ids[index]])
            }
            #expect(try EmbeddingKeys.collectUnused(db) == 110)
            #expect(try count(db, "embeddings") == 110 && counts() == [5, 25, 80], "each table keeps its used keys")
            for index in 0..<220 {
                #expect((try EmbeddingKeys.find(db, model: 1, textHash: hash(index)) != nil) == index.isMultiple(of: 2))
            }
        }
    }

    @Test func aCommitThatStagesEnoughKeysMergesThem() async throws {
        let clock = ManualClock()
        let path = directory.path + "/store.sqlite"
        let store = try SQLiteStore(path: path, clock: clock)
        let chunkCount = EmbeddingKeys.stagedLimit + 10
        let chunks = (0..<chunkCount).map { IndexedChunk(ordinal: $0, text: "chunk \($0)", textHash: ContentHash.of("chunk \($0)"), vector: [1, 0, 0]) }
        try await store.enqueue([JobQueueConformance.change("big.md")])
        clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        let document = IndexedDocument(
            contentHash: ContentHash.of("big"), title: nil, chunks: chunks, modelKey: "test/3", dimension: 3, settingsFingerprint: "fp")
        #expect(try await store.complete([Completion(lease: lease, result: .indexed(document))]) == [.applied])
        let queue = try DatabaseQueue(path: path)
        let counts = try await queue.read { db in try EmbeddingKeys.tables.map { try count(db, $0) } }
        #expect(counts == [0, chunkCount, 0], "merged in the commit that staged them")
        let hashes = chunks.map(\.textHash)
        #expect(try await store.cachedEmbeddings(modelKey: "test/3", textHashes: hashes) == Set(hashes))
    }

    @Test func aStoreFromBeforeKeepsItsCache() async throws {
        let path = directory.path + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v7: onboarding starts only")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO models (id, key, dimension) VALUES (1, 'test/1', 1)")
            for index in 0..<5 {
                try db.execute(sql: "INSERT INTO embeddings (model, text_hash, vector) VALUES (1, ?, x'00')", arguments: [hash(index)])
            }
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        let hashes = (0..<6).map { ContentHash.of("text \($0)") }
        #expect(try await store.cachedEmbeddings(modelKey: "test/1", textHashes: hashes) == Set(hashes.prefix(5)))
    }
}

extension EmbeddingKeys {
    /// Inserts a vector row (one byte) and stages its key, as the index writer does; the row's id.
    @discardableResult
    static func addVector(_ db: Database, model: Int64, textHash: Data) throws -> Int64 {
        try db.execute(sql: "INSERT INTO embeddings (model, text_hash, vector) VALUES (?, ?, x'00')", arguments: [model, textHash])
        let id = db.lastInsertedRowID
        try add(db, model: model, textHash: textHash, embedding: id)
        return id
    }
}
