import Foundation
import PostgresNIO
import SluiceCore

/// The writes a batch of completions makes, gathered per table and then made
/// in one statement per table, whatever the batch's size (row values travel
/// as arrays; nullable ones with an empty value for NULL, since postgres-nio's
/// arrays hold none). Made in the order one document's were: chunks, the
/// document, its file, the queue, content no longer referred to, then the
/// tenants' chunk counts.
struct CompletionWrites {
    let now: Timestamp

    struct ChunkRow {
        var key: DocumentKey
        var chunk: IndexedChunk
        var revision: Int64
    }

    struct DocumentRow {
        var lease: Lease
        var status: DocumentState.Status
        var contentHash: ContentHash?
        var chunkCount: Int
        var settings: String
        var title: String?
        var reason: String?
        var notes: String?
    }

    private var chunks: [ChunkRow] = []
    /// Chunks at or past this ordinal go.
    private var trims: [(key: DocumentKey, from: Int)] = []
    private var embeddings: [(model: String, hash: ContentHash, vector: [Float])] = []
    private var documents: [DocumentRow] = []
    private var unchanged: [(key: DocumentKey, revision: Int64)] = []
    private var filesSeen: [FileState] = []
    private var filesGone: [DocumentKey] = []
    private var extents: [(key: DocumentKey, covered: Int)] = []
    /// How many chunks each tenant's documents gained (or lost).
    private var chunkDeltas: [String: Int] = [:]
    var savedRows: [QueueEntry] = []
    var removedRows: [DocumentKey] = []
    var released: [(key: DocumentKey, hash: ContentHash)] = []

    init(now: Timestamp) {
        self.now = now
    }

    /// Records what `completion` writes (its lease held, its revision newer
    /// than what is recorded; its document recorded with `recordedChunks`).
    mutating func record(_ completion: Completion, recordedChunks: Int) {
        let lease = completion.lease
        let chunksAfter = completion.result.recordedChunkCount ?? recordedChunks
        if chunksAfter != recordedChunks { chunkDeltas[lease.key.tenant.rawValue, default: 0] += chunksAfter - recordedChunks }
        switch completion.result {
        case .indexed(let document):
            chunks += document.chunks.map { ChunkRow(key: lease.key, chunk: $0, revision: lease.revision) }
            trims.append((lease.key, document.chunks.count))
            for chunk in document.chunks {
                if let vector = chunk.vector { embeddings.append((document.modelKey, chunk.textHash, vector)) }
            }
            documents.append(DocumentRow(
                lease: lease, status: .indexed, contentHash: document.contentHash, chunkCount: document.chunks.count,
                settings: document.settingsFingerprint, title: document.title, reason: nil,
                notes: document.notes.isEmpty ? nil : document.notes.joined(separator: "\n")))
        case .unchanged:
            unchanged.append((lease.key, lease.revision))
        case .deleted:
            trims.append((lease.key, 0))
            documents.append(DocumentRow(
                lease: lease, status: .deleted, contentHash: Tombstone.hash(tenant: lease.key.tenant, docId: lease.key.docId),
                chunkCount: 0, settings: "", title: nil, reason: nil))
        case .skipped(let hash, let reason):
            trims.append((lease.key, 0))
            documents.append(DocumentRow(
                lease: lease, status: .skipped, contentHash: hash, chunkCount: 0, settings: "", title: nil, reason: reason))
        }
        switch completion.file {
        case .seen(let state): filesSeen.append(state)
        case .gone: filesGone.append(lease.key)
        case nil: break
        }
        if let covered = completion.sinkExtent { extents.append((lease.key, covered)) }
    }

    func apply(_ connection: PostgresConnection, _ store: PostgresStore) async throws {
        let logger = store.logger
        if !chunks.isEmpty { try await connection.run(UpsertChunks(chunks: chunks), logger: logger) }
        if !trims.isEmpty { try await connection.run(TrimChunks(trims: trims), logger: logger) }
        if !embeddings.isEmpty { try await connection.run(CacheEmbeddings(embeddings: embeddings), logger: logger) }
        if !documents.isEmpty { try await connection.run(RecordDocuments(documents: documents, now: now), logger: logger) }
        if !unchanged.isEmpty { try await connection.run(RecordUnchanged(unchanged: unchanged, now: now), logger: logger) }
        try await store.saveFileStates(connection, filesSeen)
        try await store.forgetFiles(connection, filesGone)
        if !extents.isEmpty { try await connection.run(ClearSinkExtents(extents: extents), logger: logger) }
        try await QueueEntry.deleteAll(connection, removedRows, logger: logger)
        try await QueueEntry.saveAll(savedRows, connection, logger: logger)
        try await store.releaseContents(connection, released)
        // Last: concurrent completions of one tenant wait for each other on its row only until the commit.
        let deltas = chunkDeltas.filter { $0.value != 0 }
        if !deltas.isEmpty { try await connection.run(CountTenantChunks(deltas: deltas), logger: logger) }
    }

    private struct UpsertChunks: PreparedStatement {
        static let sql = """
            INSERT INTO chunks (tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, heading_path, places)
            SELECT tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, NULLIF(heading_path, ''), NULLIF(places, '')
            FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::bytea[], $7::int8[], $8::text[], $9::text[])
                AS r(tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, heading_path, places)
            ON CONFLICT (tenant, doc_id, ordinal) DO UPDATE SET
                chunk_id = excluded.chunk_id, text = excluded.text, text_hash = excluded.text_hash,
                revision = excluded.revision, heading_path = excluded.heading_path, places = excluded.places
            """
        let chunks: [ChunkRow]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(keys: chunks.map(\.key))
            bindings.append(chunks.map(\.chunk.ordinal))
            bindings.append(chunks.map { ChunkID.string($0.key, ordinal: $0.chunk.ordinal) })
            bindings.append(chunks.map(\.chunk.text))
            bindings.append(hashes: chunks.map(\.chunk.textHash))
            bindings.append(chunks.map(\.revision))
            bindings.append(chunks.map { $0.chunk.location.headingPathColumn ?? "" })
            bindings.append(chunks.map { $0.chunk.location.placesColumn ?? "" })
            return bindings
        }
    }

    private struct TrimChunks: PreparedStatement {
        static let sql = """
            DELETE FROM chunks c
            USING unnest($1::text[], $2::text[], $3::int8[]) AS r(tenant, doc_id, first)
            WHERE c.tenant = r.tenant AND c.doc_id = r.doc_id AND c.ordinal >= r.first
            """
        let trims: [(key: DocumentKey, from: Int)]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys: trims.map(\.key))
            bindings.append(trims.map(\.from))
            return bindings
        }
    }

    private struct CacheEmbeddings: PreparedStatement {
        static let sql = """
            INSERT INTO embeddings (model, text_hash, vector)
            SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])
            ON CONFLICT (model, text_hash) DO NOTHING
            """
        let embeddings: [(model: String, hash: ContentHash, vector: [Float])]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(embeddings.map(\.model))
            bindings.append(hashes: embeddings.map(\.hash))
            bindings.append(embeddings.map { ByteBuffer(data: VectorCoding.encode($0.vector)) })
            return bindings
        }
    }

    private struct RecordDocuments: PreparedStatement {
        static let sql = """
            INSERT INTO documents
                (tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, updated_at, meta, notes)
            SELECT tenant, doc_id, status, NULLIF(content_hash, ''::bytea), revision, chunk_count, settings, source,
                   NULLIF(title, ''), NULLIF(reason, ''), $13::int8, NULLIF(meta, ''), NULLIF(notes, '')
            FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int8[], $6::int8[], $7::text[], $8::text[], $9::text[],
                        $10::text[], $11::text[], $12::text[])
                AS r(tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, meta, notes)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET
                status = excluded.status, content_hash = excluded.content_hash, revision = excluded.revision,
                chunk_count = excluded.chunk_count, settings = excluded.settings, source = excluded.source,
                title = excluded.title, reason = excluded.reason, updated_at = excluded.updated_at, meta = excluded.meta,
                notes = excluded.notes, processings = documents.processings + 1
            """
        let documents: [DocumentRow]
        let now: Timestamp

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 13)
            bindings.append(keys: documents.map(\.lease.key))
            bindings.append(documents.map(\.status.rawValue))
            bindings.append(hashes: documents.map(\.contentHash))
            bindings.append(documents.map(\.lease.revision))
            bindings.append(documents.map(\.chunkCount))
            bindings.append(documents.map(\.settings))
            bindings.append(documents.map(\.lease.origin.sourceName))
            bindings.append(documents.map { $0.title ?? "" })
            bindings.append(documents.map { $0.reason ?? "" })
            bindings.append(documents.map { $0.lease.origin.metaJSON ?? "" })
            bindings.append(documents.map { $0.notes ?? "" })
            bindings.append(now.milliseconds)
            return bindings
        }
    }

    private struct RecordUnchanged: PreparedStatement {
        static let sql = """
            UPDATE documents d SET revision = r.revision, updated_at = $4::int8, processings = d.processings + 1
            FROM unnest($1::text[], $2::text[], $3::int8[]) AS r(tenant, doc_id, revision)
            WHERE d.tenant = r.tenant AND d.doc_id = r.doc_id
            """
        let unchanged: [(key: DocumentKey, revision: Int64)]
        let now: Timestamp

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(keys: unchanged.map(\.key))
            bindings.append(unchanged.map(\.revision))
            bindings.append(now.milliseconds)
            return bindings
        }
    }

    /// In the tenants' byte order, so two transactions lock their rows in one order.
    private struct CountTenantChunks: PreparedStatement {
        static let sql = """
            INSERT INTO tenant_chunks (tenant, chunks)
            SELECT tenant, chunks FROM unnest($1::text[], $2::int8[]) AS d(tenant, chunks) ORDER BY tenant COLLATE "C"
            ON CONFLICT (tenant) DO UPDATE SET chunks = tenant_chunks.chunks + excluded.chunks
            """
        let deltas: [String: Int]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(Array(deltas.keys))
            bindings.append(Array(deltas.values))
            return bindings
        }
    }

    private struct ClearSinkExtents: PreparedStatement {
        static let sql = """
            DELETE FROM sink_extents s
            USING unnest($1::text[], $2::text[], $3::int8[]) AS r(tenant, doc_id, covered)
            WHERE s.tenant = r.tenant AND s.doc_id = r.doc_id AND s.extent <= r.covered
            """
        let extents: [(key: DocumentKey, covered: Int)]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(keys: extents.map(\.key))
            bindings.append(extents.map(\.covered))
            return bindings
        }
    }
}
