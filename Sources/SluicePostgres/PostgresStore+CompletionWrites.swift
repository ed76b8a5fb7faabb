import Foundation
import PostgresNIO
import SluiceCore

/// The writes a batch of completions makes, gathered per table and then made
/// in one statement per table, whatever the batch's size (row values travel
/// as arrays; nullable ones with an empty value for NULL, since postgres-nio's
/// arrays hold none). Made in the order one document's were: chunks, the
/// document, its file, the queue, then content no longer referred to.
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
    var savedRows: [QueueEntry] = []
    var removedRows: [DocumentKey] = []
    var released: [(key: DocumentKey, hash: ContentHash)] = []

    init(now: Timestamp) {
        self.now = now
    }

    /// Records what `completion` writes (its lease held, its revision newer than what is recorded).
    mutating func record(_ completion: Completion) {
        let lease = completion.lease
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
        if !chunks.isEmpty {
            try await connection.query("""
                INSERT INTO chunks (tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, heading_path, places)
                SELECT tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, NULLIF(heading_path, ''), NULLIF(places, '')
                FROM unnest(
                    \(chunks.map(\.key.tenant.rawValue))::text[], \(chunks.map(\.key.docId.rawValue))::text[],
                    \(chunks.map(\.chunk.ordinal))::int8[], \(chunks.map { ChunkID.string($0.key, ordinal: $0.chunk.ordinal) })::text[],
                    \(chunks.map(\.chunk.text))::text[], \(chunks.map { ByteBuffer(bytes: $0.chunk.textHash.bytes) })::bytea[],
                    \(chunks.map(\.revision))::int8[], \(chunks.map { $0.chunk.location.headingPathColumn ?? "" })::text[],
                    \(chunks.map { $0.chunk.location.placesColumn ?? "" })::text[]
                ) AS r(tenant, doc_id, ordinal, chunk_id, text, text_hash, revision, heading_path, places)
                ON CONFLICT (tenant, doc_id, ordinal) DO UPDATE SET
                    chunk_id = excluded.chunk_id, text = excluded.text, text_hash = excluded.text_hash,
                    revision = excluded.revision, heading_path = excluded.heading_path, places = excluded.places
                """, logger: logger)
        }
        if !trims.isEmpty {
            try await connection.query("""
                DELETE FROM chunks c
                USING unnest(\(trims.map(\.key.tenant.rawValue))::text[], \(trims.map(\.key.docId.rawValue))::text[], \(trims.map(\.from))::int8[])
                    AS r(tenant, doc_id, first)
                WHERE c.tenant = r.tenant AND c.doc_id = r.doc_id AND c.ordinal >= r.first
                """, logger: logger)
        }
        if !embeddings.isEmpty {
            try await connection.query("""
                INSERT INTO embeddings (model, text_hash, vector)
                SELECT * FROM unnest(
                    \(embeddings.map(\.model))::text[], \(embeddings.map { ByteBuffer(bytes: $0.hash.bytes) })::bytea[],
                    \(embeddings.map { ByteBuffer(data: VectorCoding.encode($0.vector)) })::bytea[])
                ON CONFLICT (model, text_hash) DO NOTHING
                """, logger: logger)
        }
        if !documents.isEmpty {
            try await connection.query("""
                INSERT INTO documents
                    (tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, updated_at, meta, notes)
                SELECT tenant, doc_id, status, NULLIF(content_hash, ''::bytea), revision, chunk_count, settings, source,
                       NULLIF(title, ''), NULLIF(reason, ''), \(now.milliseconds), NULLIF(meta, ''), NULLIF(notes, '')
                FROM unnest(
                    \(documents.map(\.lease.key.tenant.rawValue))::text[], \(documents.map(\.lease.key.docId.rawValue))::text[],
                    \(documents.map(\.status.rawValue))::text[], \(documents.map { ByteBuffer(bytes: $0.contentHash?.bytes ?? []) })::bytea[],
                    \(documents.map(\.lease.revision))::int8[], \(documents.map(\.chunkCount))::int8[], \(documents.map(\.settings))::text[],
                    \(documents.map(\.lease.origin.sourceName))::text[], \(documents.map { $0.title ?? "" })::text[],
                    \(documents.map { $0.reason ?? "" })::text[], \(documents.map { $0.lease.origin.metaJSON ?? "" })::text[],
                    \(documents.map { $0.notes ?? "" })::text[]
                ) AS r(tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, meta, notes)
                ON CONFLICT (tenant, doc_id) DO UPDATE SET
                    status = excluded.status, content_hash = excluded.content_hash, revision = excluded.revision,
                    chunk_count = excluded.chunk_count, settings = excluded.settings, source = excluded.source,
                    title = excluded.title, reason = excluded.reason, updated_at = excluded.updated_at, meta = excluded.meta,
                    notes = excluded.notes, processings = documents.processings + 1
                """, logger: logger)
        }
        if !unchanged.isEmpty {
            try await connection.query("""
                UPDATE documents d SET revision = r.revision, updated_at = \(now.milliseconds), processings = d.processings + 1
                FROM unnest(\(unchanged.map(\.key.tenant.rawValue))::text[], \(unchanged.map(\.key.docId.rawValue))::text[],
                            \(unchanged.map(\.revision))::int8[]) AS r(tenant, doc_id, revision)
                WHERE d.tenant = r.tenant AND d.doc_id = r.doc_id
                """, logger: logger)
        }
        try await store.saveFileStates(connection, filesSeen)
        try await store.forgetFiles(connection, filesGone)
        if !extents.isEmpty {
            try await connection.query("""
                DELETE FROM sink_extents s
                USING unnest(\(extents.map(\.key.tenant.rawValue))::text[], \(extents.map(\.key.docId.rawValue))::text[],
                             \(extents.map(\.covered))::int8[]) AS r(tenant, doc_id, covered)
                WHERE s.tenant = r.tenant AND s.doc_id = r.doc_id AND s.extent <= r.covered
                """, logger: logger)
        }
        try await QueueEntry.deleteAll(connection, removedRows, logger: logger)
        try await QueueEntry.saveAll(savedRows, connection, logger: logger)
        try await store.releaseContents(connection, released)
    }
}
