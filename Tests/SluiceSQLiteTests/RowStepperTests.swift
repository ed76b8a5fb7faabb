import Foundation
import GRDB
import GRDBSQLite
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The writer's per-chunk statements are bound through SQLite's C API
/// (`RowStepper`): values must land as GRDB would bind them, and a failure
/// must be GRDB's error, which the store turns into its messages (a full
/// disk, a damaged file).
@Suite struct RowStepperTests {
    @Test func valuesLandAsBoundAndNilIsNullButEmptyIsNot() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB, none TEXT)")
            let statement = try db.cachedStatement(sql: "INSERT INTO t (n, s, b, none) VALUES (?, ?, ?, ?)")
            let rows: [(Int64, String, Data)] = [(Int64.max, "héllo\u{0}wörld", Data([0, 1, 255])), (-1, "", Data())]
            for (n, s, b) in rows {
                let insert = RowStepper(statement, in: db)
                try insert.bind(1, n)
                try insert.bind(2, s)
                try insert.bind(3, b)
                try insert.bind(4, nil as String?)
                try insert.execute()
            }
            let read = try Row.fetchAll(db, sql: "SELECT n, CAST(s AS BLOB), b, none, typeof(s), typeof(b) FROM t ORDER BY id")
            #expect(read.map { $0[0] as Int64 } == [Int64.max, -1])
            #expect(read.map { $0[1] as Data? ?? Data() } == [Data("héllo\u{0}wörld".utf8), Data()], "the text's bytes whole, NUL included")
            #expect(read.map { $0[2] as Data } == [Data([0, 1, 255]), Data()])
            #expect(read.map { $0[3] as String? } == [nil, nil])
            #expect(read.map { $0[4] as String } == ["text", "text"], "an empty string is not NULL")
            #expect(read.map { $0[5] as String } == ["blob", "blob"], "an empty blob is not NULL")
        }
    }

    @Test func aStatementCanBeSteppedAgainAndReadsItsFirstColumn() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k BLOB PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (x'01', 7), (x'02', NULL)")
            let statement = try db.cachedStatement(sql: "SELECT v FROM t WHERE k = ?")
            func value(_ key: Data) throws -> Int64? {
                let find = RowStepper(statement, in: db)
                try find.bind(1, key)
                return try find.int64()
            }
            #expect(try value(Data([1])) == 7)
            #expect(try value(Data([3])) == nil, "no row")
            #expect(try value(Data([2])) == nil, "NULL")
            #expect(try value(Data([1])) == 7, "reset after each use")
            // GRDB goes on using the same cached statement.
            #expect(try Int64.fetchOne(statement, arguments: [Data([1])]) == 7)
        }
    }

    @Test func aFailureIsGRDBsErrorWithSQLitesCodeAndMessage() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k TEXT PRIMARY KEY)")
            let statement = try db.cachedStatement(sql: "INSERT INTO t (k) VALUES (?)")
            let first = RowStepper(statement, in: db)
            try first.bind(1, "a")
            try first.execute()
            let again = RowStepper(statement, in: db)
            try again.bind(1, "a")
            do {
                try again.execute()
                Issue.record("a duplicate key was inserted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.message?.contains("UNIQUE constraint failed: t.k") == true, "\(error)")
                #expect(error.sql == "INSERT INTO t (k) VALUES (?)")
                #expect(SQLiteStore.wrap(error, "completing 1 document").message.contains("UNIQUE constraint failed"))
            }
            // The statement works again after the failure.
            let other = RowStepper(statement, in: db)
            try other.bind(1, "b")
            try other.execute()
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 2)
        }
    }

    /// A value past SQLite's length limit (a huge chunk, a place list of a
    /// monstrous document) is refused with an error for that completion,
    /// never stored as a silent NULL.
    @Test func aValuePastSQLitesLimitIsAnErrorNotANull() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (s TEXT, b BLOB)")
            sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 16)
            let statement = try db.cachedStatement(sql: "INSERT INTO t (s, b) VALUES (?, ?)")
            for (text, blob) in [(String(repeating: "x", count: 17), Data()), ("", Data(count: 17))] {
                let insert = RowStepper(statement, in: db)
                do {
                    try insert.bind(1, text)
                    try insert.bind(2, blob)
                    try insert.execute()
                    Issue.record("a value past the limit was stored")
                } catch let error as DatabaseError {
                    #expect(error.resultCode == .SQLITE_TOOBIG, "\(error)")
                }
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 0)
        }
    }
}

/// Queue rows are read and written by column position (`QueueEntry.Column`):
/// every field must come back as it went in, whichever origin.
@Suite struct QueueEntryRowTests {
    @Test func columnsReadNullAsNilAndEmptyAsEmpty() throws {
        let queue = try DatabaseQueue()
        try queue.read { db in
            let select = RowStepper(
                try db.makeStatement(sql: "SELECT 42, NULL, '', x'', CAST(x'61006200' AS TEXT), x'00ff', -7 UNION ALL SELECT 1, 2, 'z', NULL, NULL, NULL, NULL"), in: db)
            let rows = try select.rows { row in
                (row.int64(0), row.optionalInt64(1), row.string(2), row.data(3), row.string(4), row.data(5), row.optionalInt64(6))
            }
            #expect(rows.count == 2)
            #expect(rows[0].0 == 42 && rows[0].1 == nil && rows[0].2 == "" && rows[0].3 == Data())
            #expect(rows[0].4 == "a\u{0}b\u{0}", "the text's bytes whole, NUL included")
            #expect(rows[0].5 == Data([0, 255]) && rows[0].6 == -7)
            #expect(rows[1].1 == 2 && rows[1].2 == "z" && rows[1].3 == nil && rows[1].4 == nil && rows[1].5 == nil && rows[1].6 == nil)
            #expect(try select.first { $0.int64(0) } == 42, "stepped again from the start")
        }
    }

    @Test func aSavedEntryIsFetchedBackEqualWhateverItsOrigin() async throws {
        let directory = try TemporaryDirectory("sluice-queue-row")
        let store = try SQLiteStore(path: directory.path + "/sluice.sqlite")
        let now = Timestamp(milliseconds: 1_700_000_000_000)
        let meta = DocumentMeta(tenant: "acme", docId: "notes/a.md", mimeType: "text/markdown", title: "A", attributes: ["team": "x"])
        let entries = [
            QueueEntry(
                key: DocumentKey(tenant: TenantID(storedRawValue: "acme"), docId: DocumentID(storedRawValue: "files/é.md")),
                revision: 9, kind: .upsert, origin: .file(FileLocation(scanRoot: "/r", tenantDirectory: "/r/acme", path: "/r/acme/files/é.md")),
                contentHash: ContentHash.of("content"), priority: .high, state: .queued, firstChangeAt: now,
                lastChangeAt: now + .milliseconds(5), readyAt: now + .milliseconds(25), attempts: 2, supersededCount: 3,
                leaseExpiries: 1, hold: QueueEntry.Hold(token: "token", expiresAt: now + .seconds(30), revision: 8),
                lastError: "timed out", enqueuedAt: Timestamp(milliseconds: now.milliseconds - 1000)),
            QueueEntry(
                key: DocumentKey(tenant: TenantID(storedRawValue: "acme"), docId: DocumentID(storedRawValue: "notes/a.md")),
                revision: 10, kind: .delete, origin: .api(meta), contentHash: nil, priority: .low, state: .dead,
                firstChangeAt: now, lastChangeAt: now, readyAt: now, attempts: 0, supersededCount: 0, leaseExpiries: 0, hold: nil,
                lastError: nil, enqueuedAt: now),
        ]
        for entry in entries {
            let fetched = try await store.pool.write { db in
                try entry.save(db)
                return try QueueEntry.fetch(db, entry.key)
            }
            #expect(fetched == entry)
        }
    }
}
