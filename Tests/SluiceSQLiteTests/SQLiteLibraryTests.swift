import GRDBSQLite
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// SQLite's memory statistics are off from the program's start: a store that
/// writes leaves SQLite's count of its memory at zero.
@Suite struct SQLiteLibraryTests {
    @Test func countsNoMemory() async throws {
        #expect(!SQLiteLibrary.keepsMemoryStatistics)
        let directory = try TemporaryDirectory("sluice-library")
        let store = try SQLiteStore(path: directory.path + "/store.sqlite")
        _ = try await store.enqueue((0..<20).map { JobQueueConformance.change("doc-\($0).md") })
        let depth = try await store.depth()
        #expect(depth.ready.values.reduce(0, +) + depth.delayed == 20)
        #expect(sqlite3_memory_used() == 0, "SQLite counted its allocations")
    }
}
