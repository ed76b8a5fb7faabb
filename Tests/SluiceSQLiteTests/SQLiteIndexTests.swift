import Foundation
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// A damaged store says which file it is and what to do, on open or on the first read that meets the damage.
@Suite struct DamagedStoreTests {
    @Test func aDamagedStoreIsNamedWithWhatToDo() async throws {
        let directory = try TemporaryDirectory("sluice-damaged")
        defer { directory.remove() }
        let path = directory.path + "/sluice.sqlite"
        let store = try SQLiteStore(path: path)
        try await store.enqueue((0..<2000).map { JobQueueConformance.change("doc\($0).md", tenant: "t\($0 % 7)") })
        try await store.checkpoint()
        // Overwrite pages past the schema with noise, as a failing disk would.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var generator = SystemRandomNumberGenerator()
        for page in 2..<12 {
            try handle.seek(toOffset: UInt64(page * 16384))
            handle.write(Data((0..<16384).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        try handle.close()
        let message: String
        do {
            let damaged = try SQLiteStore(path: path)
            _ = try await damaged.tenantSummaries()
            _ = try await damaged.depth()
            Issue.record("a damaged store was read without an error")
            return
        } catch let error as SluiceError {
            message = error.message
        }
        #expect(message.contains(path) && message.contains("is damaged") && message.contains("sluice run"), "\(message)")

        try Data(repeating: 0x41, count: 100_000).write(to: URL(fileURLWithPath: directory.path + "/other.sqlite"))
        #expect {
            _ = try SQLiteStore(path: directory.path + "/other.sqlite")
        } throws: { error in
            (error as? SluiceError)?.message.contains(directory.path + "/other.sqlite is damaged or is not a Sluice store") == true
        }
    }
}
