import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// `documents.content_hash` was hex text (a tombstone marker for deleted
/// documents, "" for none) where `files` and `queue` hold 32 bytes: a store
/// from before keeps every document's hash, now as bytes.
@Suite struct ContentHashColumnTests {
    @Test func aStoreFromBeforeKeepsItsDocumentsHashesAsBytes() async throws {
        let directory = try TemporaryDirectory("sluice-content-hash")
        defer { directory.remove() }
        let path = directory.path + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v13: document notes")
        let content = ContentHash.of("some content")
        let tombstone = Tombstone.marker(tenant: TenantID(storedRawValue: "acme"), docId: DocumentID(storedRawValue: "gone.md"))
        try await queue.write { db in
            for (docId, status, hash) in [("a.md", "indexed", content.hex), ("gone.md", "deleted", tombstone), ("skip.bin", "skipped", "")] {
                try db.execute(sql: """
                    INSERT INTO documents (tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, updated_at)
                    VALUES ('acme', ?, ?, ?, 1, 0, '', 'file', 0)
                    """, arguments: [docId, status, hash])
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        let states = try await store.documents(tenant: TenantID(storedRawValue: "acme"), status: nil)
        #expect(Dictionary(uniqueKeysWithValues: states.map { ($0.key.docId.rawValue, $0.contentHash) }) == [
            "a.md": content.hex, "gone.md": tombstone, "skip.bin": "",
        ])
        let stored = try await DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT doc_id, typeof(content_hash) AS type FROM documents ORDER BY doc_id")
                .map { "\($0["doc_id"] as String): \($0["type"] as String)" }
        }
        #expect(stored == ["a.md: blob", "gone.md: blob", "skip.bin: null"])
        let declared = try await DatabaseQueue(path: path).read { db in
            try db.columns(in: "documents").first { $0.name == "content_hash" }?.type
        }
        #expect(declared == "BLOB")
    }
}
