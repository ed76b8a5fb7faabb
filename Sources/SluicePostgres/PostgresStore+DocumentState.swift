import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: DocumentStateStore {
    static let documentColumns = """
        tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, updated_at, processings, notes
        """

    public func documentState(_ key: DocumentKey) async throws -> DocumentState? {
        try await documentStates([key])[key]
    }

    public func documentStates(_ keys: [DocumentKey]) async throws -> [DocumentKey: DocumentState] {
        guard !keys.isEmpty else { return [:] }
        return try await reading("reading document states") { connection in
            var states: [DocumentKey: DocumentState] = [:]
            for row in try await connection.run(DocumentStates(keys: keys), logger: self.logger) {
                let state = try DocumentState(postgres: row)
                states[state.key] = state
            }
            return states
        }
    }

    private struct DocumentStates: KeysStatement {
        static let sql = """
            SELECT \(PostgresStore.documentColumns) FROM documents d
            JOIN unnest($1::text[], $2::text[]) AS k(tenant, doc_id) USING (tenant, doc_id)
            """
        let keys: [DocumentKey]
    }

    public func documents(tenant: TenantID, status: DocumentState.Status?) async throws -> [DocumentState] {
        try await reading("listing documents of \(tenant)") { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: PostgresStore.documentColumns) FROM documents
                WHERE tenant = \(tenant.rawValue) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue)) ORDER BY doc_id
                """, logger: self.logger)
            var states: [DocumentState] = []
            for try await row in rows { states.append(try DocumentState(postgres: row)) }
            return states
        }
    }

    public func chunkCounts(_ tenants: Set<TenantID>) async throws -> [TenantID: Int] {
        guard !tenants.isEmpty else { return [:] }
        let names = tenants.map(\.rawValue)
        return try await reading("reading the tenants' chunk counts") { connection in
            var counts = Dictionary(uniqueKeysWithValues: tenants.map { ($0, 0) })
            let rows = try await connection.query(
                "SELECT tenant, chunks FROM tenant_chunks WHERE tenant = ANY(\(names)::text[])", logger: self.logger)
            for try await (tenant, chunks) in rows.decode((String, Int).self) { counts[TenantID(storedRawValue: tenant)] = chunks }
            return counts
        }
    }

    public func exportChunks(tenant: TenantID?, batchSize: Int, _ body: ([ExportedChunk]) throws -> Void) async throws {
        // Page by key so no single read holds the whole index in memory.
        var after = (tenant: "", docId: "", ordinal: -1)
        while true {
            let cursor = after
            let page = try await reading("exporting chunks") { connection in
                let rows = try await connection.query("""
                    SELECT c.tenant, c.doc_id, c.ordinal, c.chunk_id, c.text, c.text_hash, c.revision, c.heading_path, c.places,
                           d.content_hash
                    FROM chunks c JOIN documents d ON d.tenant = c.tenant AND d.doc_id = c.doc_id
                    WHERE (\(tenant?.rawValue)::text IS NULL OR c.tenant = \(tenant?.rawValue))
                      AND (c.tenant, c.doc_id, c.ordinal) > (\(cursor.tenant), \(cursor.docId), \(cursor.ordinal))
                    ORDER BY c.tenant, c.doc_id, c.ordinal LIMIT \(batchSize)
                    """, logger: self.logger)
                var chunks: [ExportedChunk] = []
                for try await (tenant, docId, ordinal, chunkId, text, textHash, revision, headingPath, places, contentHash)
                    in rows.decode((String, String, Int, String, String, Data, Int64, String?, String?, Data?).self)
                {
                    chunks.append(ExportedChunk(
                        tenant: tenant, docId: docId, ordinal: ordinal, chunkId: chunkId, text: text,
                        textHash: Array(textHash).hexString, contentHash: contentHash.map { Array($0).hexString } ?? "",
                        revision: revision, location: ChunkLocation(headingPathColumn: headingPath, placesColumn: places)))
                }
                return chunks
            }
            guard let last = page.last else { return }
            try body(page)
            after = (last.tenant, last.docId, last.ordinal)
            if page.count < batchSize { return }
        }
    }

    /// One statement: what is recorded of every key (as before the raise: a
    /// statement's parts see one snapshot) and the raise itself. A worker calls
    /// this before every sink write; as a transaction it took four round trips.
    /// The rows read are not locked: only the lease holder raises a document's
    /// extent, but `verify --repair` may record one meanwhile; the read misses
    /// it then, and the completion leaves it (it forgets only extents its write
    /// covered), for the next write to clear.
    public func raiseSinkExtents(_ extents: [DocumentKey: Int], reading keys: [DocumentKey]) async throws -> [DocumentKey: Int] {
        guard !keys.isEmpty || !extents.isEmpty else { return [:] }
        // Every key once: those only read ask for extent 0, which raises nothing.
        var wanted: [DocumentKey: Int] = Dictionary(keys.map { ($0, 0) }, uniquingKeysWith: { first, _ in first })
        for (key, extent) in extents { wanted[key] = max(wanted[key] ?? 0, extent) }
        let ordered = wanted.sorted { PostgresStore.keyPrecedes($0.key, $1.key) }
        let rows = try await reading("recording how far documents' points in the sink may reach") { connection in
            try await connection.run(RaiseSinkExtents(extents: ordered.map { ($0.key, $0.value) }), logger: self.logger)
        }
        let read = Set(keys)
        var found: [DocumentKey: Int] = [:]
        for row in rows {
            let (tenant, docId, extent) = try row.decode((String, String, Int).self)
            let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
            if read.contains(key) { found[key] = extent }
        }
        return found
    }

    /// Raises in key order (as every transaction locks rows), writing only
    /// rows that grow; returns the extents recorded before.
    private struct RaiseSinkExtents: PreparedStatement {
        static let sql = """
            WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS w(tenant, doc_id, extent, place)),
            before AS (SELECT s.tenant, s.doc_id, s.extent FROM sink_extents s JOIN wanted USING (tenant, doc_id)),
            raised AS (
                INSERT INTO sink_extents (tenant, doc_id, extent)
                SELECT tenant, doc_id, extent FROM wanted WHERE extent > 0 ORDER BY place
                ON CONFLICT (tenant, doc_id) DO UPDATE SET extent = excluded.extent WHERE sink_extents.extent < excluded.extent
            )
            SELECT tenant, doc_id, extent FROM before
            """
        let extents: [(key: DocumentKey, extent: Int)]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys: extents.map(\.key))
            bindings.append(extents.map(\.extent))
            return bindings
        }
    }
}

extension DocumentState {
    /// From a row of `PostgresStore.documentColumns`.
    init(postgres row: PostgresRow) throws {
        let (tenant, docId, status, hash, revision, chunkCount, settings, source, title, reason, updatedAt, processings, notes) =
            try row.decode((String, String, String, Data?, Int64, Int, String, String, String?, String?, Int64, Int, String?).self)
        let state = DocumentState.Status(rawValue: status) ?? .indexed
        let hex = hash.map { Array($0).hexString }
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId)), status: state,
            contentHash: hex.map { state == .deleted ? "tombstone:" + $0 : $0 } ?? "", revision: revision, chunkCount: chunkCount,
            settingsFingerprint: settings, source: source, title: title, reason: reason, updatedAt: Timestamp(milliseconds: updatedAt))
        self.processings = processings
        self.notes = notes?.split(separator: "\n").map(String.init) ?? []
    }
}
