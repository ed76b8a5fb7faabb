import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// `tenant_chunks` (what the quota reads) starts, in a store from before it,
/// at the sum of each tenant's documents' chunk counts.
@Suite struct TenantChunksMigrationTests {
    @Test func aStoreFromBeforeCountsItsTenantsChunks() async throws {
        let directory = try TemporaryDirectory("sluice-tenant-chunks")
        defer { directory.remove() }
        let path = directory.path + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v19: dead letters by time")
        try await queue.write { db in
            for (tenant, docId, chunks) in [("acme", "a.md", 3), ("acme", "b.md", 4), ("acme", "gone.md", 0), ("globex", "a.md", 2), ("initech", "skipped.bin", 0)] {
                try db.execute(sql: """
                    INSERT INTO documents (tenant, doc_id, status, revision, chunk_count, settings, source, updated_at)
                    VALUES (?, ?, 'indexed', 1, ?, '', 'file', 0)
                    """, arguments: [tenant, docId, chunks])
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        let (acme, globex, initech) = (try TenantID("acme"), try TenantID("globex"), try TenantID("initech"))
        #expect(try await store.chunkCounts([acme, globex, initech]) == [acme: 7, globex: 2, initech: 0])
    }
}
