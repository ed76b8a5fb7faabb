import Foundation
import GRDB
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The WAL copied into the database file off the writer: the writer's commits
/// only wake the checkpointer, the WAL stays bounded while commits come
/// without pause, and a final checkpoint that must copy everything is not
/// refused because the checkpointer was copying.
@Suite struct WALCheckpointerTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("sluice-wal-checkpointer")
    }

    /// A pool on a new file with 4 KiB pages and the checkpointer on its writer.
    func pool(_ name: String, threshold: Int, limit: Int) throws -> (DatabasePool, WALCheckpointer, String) {
        let path = directory.path + "/" + name
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA page_size = 4096") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        let checkpointer = WALCheckpointer(path: path, threshold: threshold, limit: limit)
        try pool.writeWithoutTransaction { db in try checkpointer.install(on: db) }
        try pool.write { db in try db.execute(sql: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL)") }
        return (pool, checkpointer, path)
    }

    /// Commits `count` transactions of about `pages` new pages each, back to back.
    func commit(_ count: Int, ofPages pages: Int, to pool: DatabasePool, after each: () -> Void = {}) throws {
        for _ in 0..<count {
            try pool.write { db in
                for _ in 0..<pages {
                    try db.execute(sql: "INSERT INTO blobs (bytes) VALUES (randomblob(4000))")
                }
            }
            each()
        }
    }

    func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// Frames the WAL file has room for (it is written over from its start
    /// after a restart, never shrunk by one).
    func walFrames(_ path: String) -> Int {
        max(0, fileSize(path + "-wal") - 32) / (4096 + 24)
    }

    /// Below the limit the writer never copies: what reaches the database file
    /// was copied by the checkpointer (SQLite's automatic checkpoint is off).
    @Test func theCheckpointerCopiesWhatTheWriterCommitted() throws {
        let (pool, checkpointer, path) = try pool("copied.sqlite", threshold: 50, limit: 1_000_000)
        let before = fileSize(path)
        try commit(40, ofPages: 10, to: pool)
        checkpointer.waitUntilIdle()
        // 400 pages of blobs; the checkpointer woke from the 50th frame on.
        #expect(fileSize(path) - before > 300 * 4096, "the database file grew by \(fileSize(path) - before) bytes")
        let count = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") }
        #expect(count == 400)
    }

    /// Commits without pause never leave the checkpointer a moment when the
    /// WAL is wholly copied; at the limit the writer copies the rest itself,
    /// the WAL starts over, and its file stays near the limit.
    @Test func theWALStaysBoundedWhileCommitsComeWithoutPause() throws {
        let (pool, _, path) = try pool("bounded.sqlite", threshold: 40, limit: 120)
        var largest = 0
        try commit(300, ofPages: 8, to: pool) { largest = max(largest, walFrames(path)) }
        // 2,400 frames were committed; without a restart the file would hold them all.
        #expect(largest <= 120 + 2 * 10, "the WAL grew to \(largest) frames")
        let count = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") }
        #expect(count == 2_400)
    }

    /// `SQLiteStore.checkpoint()` empties the WAL after waiting for the
    /// checkpointer: a `TRUNCATE` checkpoint started while it copies is
    /// refused at once (SQLite does not wait for the checkpoint lock).
    @Test func theStoresFinalCheckpointEmptiesTheWALWhileTheCheckpointerCopies() async throws {
        let path = directory.path + "/store.sqlite"
        let store = try SQLiteStore(path: path)
        try await store.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (bytes BLOB NOT NULL)") }
        for _ in 0..<3 {
            // 2,700 frames of 16 KiB in three commits: the third wakes the checkpointer (from 2,500),
            // which is still copying when the final checkpoint begins.
            for _ in 0..<3 {
                try await store.pool.write { db in
                    for _ in 0..<900 { try db.execute(sql: "INSERT INTO scratch (bytes) VALUES (randomblob(16000))") }
                }
            }
            try await store.checkpoint()
            #expect(fileSize(path + "-wal") == 0)
        }
    }
}
