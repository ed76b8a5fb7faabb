import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// With full durability, a commit that takes in a change waits for the disk
/// (`synchronous=FULL`) and one that only records progress (a lease, a
/// completion) does not; the connection is back to FULL after it, whether
/// its transaction committed or failed.
@Suite struct SQLiteDurabilityTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("sluice-durability")
    }

    /// `PRAGMA synchronous` inside a write: 2 is FULL, 1 NORMAL.
    func level(_ store: SQLiteStore, recordsProgress: Bool) async throws -> Int {
        try await store.write("probing", recordsProgress: recordsProgress) { db in
            try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        }
    }

    @Test func onlyProgressSkipsTheSync() async throws {
        let store = try SQLiteStore(path: directory.path + "/full.sqlite")
        #expect(try await level(store, recordsProgress: false) == 2)
        #expect(try await level(store, recordsProgress: true) == 1)
        #expect(try await level(store, recordsProgress: false) == 2, "FULL again after a progress commit")
        await #expect(throws: SluiceError.self) {
            try await store.write("failing", recordsProgress: true) { db in
                try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
            }
        }
        #expect(try await level(store, recordsProgress: false) == 2, "FULL again after a failed progress transaction")
    }

    @Test func normalDurabilityNeverSyncs() async throws {
        let store = try SQLiteStore(path: directory.path + "/normal.sqlite", options: SQLiteStore.Options(durability: .normal))
        #expect(try await level(store, recordsProgress: false) == 1)
        #expect(try await level(store, recordsProgress: true) == 1)
    }

    @Test func progressCommitsAreVisibleAndKept() async throws {
        let clock = ManualClock()
        let path = directory.path + "/kept.sqlite"
        let store = try SQLiteStore(path: path, clock: clock)
        try await store.enqueue([JobQueueConformance.change("a.md")])
        clock.advance(by: .seconds(3))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        #expect(try await store.complete([Completion(lease: lease, result: .deleted)]) == [.applied])
        try await store.checkpoint()
        // Another connection, as after a restart, sees what the unsynced commits wrote.
        let queue = try DatabaseQueue(path: path)
        let (queued, documents) = try await queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM queue") ?? -1, try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") ?? -1)
        }
        #expect(queued == 0 && documents == 1)
    }
}
