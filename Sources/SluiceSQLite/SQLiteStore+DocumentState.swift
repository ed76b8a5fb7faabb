import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: DocumentStateStore {
    public func documentState(_ key: DocumentKey) async throws -> DocumentState? {
        try await read("reading \(key)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM documents WHERE tenant = ? AND doc_id = ?",
                arguments: [key.tenant.rawValue, key.docId.rawValue]
            ).map(DocumentState.init(row:))
        }
    }

    public func documentStates(_ keys: [DocumentKey]) async throws -> [DocumentKey: DocumentState] {
        guard !keys.isEmpty else { return [:] }
        return try await read("reading document states") { db in
            let statement = try db.cachedStatement(sql: "SELECT * FROM documents WHERE tenant = ? AND doc_id = ?")
            var states: [DocumentKey: DocumentState] = [:]
            for key in keys {
                if let row = try Row.fetchOne(statement, arguments: [key.tenant.rawValue, key.docId.rawValue]) {
                    states[key] = try DocumentState(row: row)
                }
            }
            return states
        }
    }

    public func documents(tenant: TenantID, status: DocumentState.Status?) async throws -> [DocumentState] {
        try await read("listing documents of \(tenant)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM documents WHERE tenant = ? AND (? IS NULL OR status = ?) ORDER BY doc_id",
                arguments: [tenant.rawValue, status?.rawValue, status?.rawValue]
            ).map(DocumentState.init(row:))
        }
    }

    public func chunkCounts(_ tenants: Set<TenantID>) async throws -> [TenantID: Int] {
        guard !tenants.isEmpty else { return [:] }
        return try await read("reading the tenants' chunk counts") { db in
            let statement = try db.cachedStatement(sql: "SELECT chunks FROM tenant_chunks WHERE tenant = ?")
            var counts: [TenantID: Int] = [:]
            for tenant in tenants {
                counts[tenant] = try Int.fetchOne(statement, arguments: [tenant.rawValue]) ?? 0
            }
            return counts
        }
    }

    public func exportChunks(tenant: TenantID?, batchSize: Int, _ body: ([ExportedChunk]) throws -> Void) async throws {
        // Page by key so no single read holds the whole index in memory.
        var after: (tenant: String, docId: String, ordinal: Int)? = nil
        while true {
            let cursorKey = after
            let page = try await read("exporting chunks") { db -> [ExportedChunk] in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT c.tenant, c.doc_id, c.ordinal, c.chunk_id, c.text, c.text_hash, c.revision, c.heading_path, c.places, d.content_hash
                    FROM chunks c JOIN documents d ON d.tenant = c.tenant AND d.doc_id = c.doc_id
                    WHERE (:tenant IS NULL OR c.tenant = :tenant)
                      AND (:afterTenant IS NULL OR (c.tenant, c.doc_id, c.ordinal) > (:afterTenant, :afterDoc, :afterOrdinal))
                    ORDER BY c.tenant, c.doc_id, c.ordinal LIMIT :limit
                    """, arguments: [
                        "tenant": tenant?.rawValue, "afterTenant": cursorKey?.tenant, "afterDoc": cursorKey?.docId,
                        "afterOrdinal": cursorKey?.ordinal, "limit": batchSize,
                    ])
                return rows.map { row in
                    let textHash: Data = row["text_hash"]
                    return ExportedChunk(
                        tenant: row["tenant"], docId: row["doc_id"], ordinal: row["ordinal"], chunkId: row["chunk_id"],
                        text: row["text"], textHash: Array(textHash).hexString, contentHash: SQLiteStore.contentHash(row)?.hex ?? "",
                        revision: row["revision"],
                        location: ChunkLocation(headingPathColumn: row["heading_path"], placesColumn: row["places"]))
                }
            }
            guard let last = page.last else { return }
            try body(page)
            after = (last.tenant, last.docId, last.ordinal)
            if page.count < batchSize { return }
        }
    }

    public func raiseSinkExtents(_ extents: [DocumentKey: Int], reading keys: [DocumentKey]) async throws -> [DocumentKey: Int] {
        guard !keys.isEmpty || !extents.isEmpty else { return [:] }
        let read: @Sendable (Database) throws -> [DocumentKey: Int] = { db in
            let select = try db.cachedStatement(sql: "SELECT extent FROM sink_extents WHERE tenant = ? AND doc_id = ?")
            var found: [DocumentKey: Int] = [:]
            for key in Set(keys) {
                if let extent = try Int.fetchOne(select, arguments: [key.tenant.rawValue, key.docId.rawValue]) { found[key] = extent }
            }
            return found
        }
        guard !extents.isEmpty else { return try await self.read("reading sink extents", read) }
        return try await write("recording how far documents' points in the sink may reach") { db in
            let found = try read(db)
            for (key, extent) in extents where extent > (found[key] ?? 0) { try SQLiteStore.raiseSinkExtent(db, key, to: extent) }
            return found
        }
    }
}
