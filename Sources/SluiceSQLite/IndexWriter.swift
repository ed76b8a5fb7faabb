import Foundation
import GRDB
import SluiceCore

/// Applies completions to the queue and the embedded index inside one write
/// transaction: the chunks are written and the lease completed together, only
/// while the lease holds and only if the revision is newer than the indexed
/// one (DESIGN.md invariant 3).
struct IndexWriter {
    let db: Database
    let rows: QueueRows
    let now: Timestamp
    /// Prepared for this transaction (`EmbeddingKeyFilter.prepare`).
    let keys: EmbeddingKeyFilter
    private var modelIDs: [String: Int64] = [:]
    /// Whether this transaction staged new embedding-cache keys (then it may have to merge them).
    private(set) var stagedKeys = false
    /// The documents whose chunks this transaction changed, by tenant.
    private var changedDocuments: [String: Set<String>] = [:]
    /// How many chunks each tenant's documents gained (or lost) in this transaction.
    private var chunkDeltas: [String: Int] = [:]

    init(db: Database, now: Timestamp, keys: EmbeddingKeyFilter) throws {
        self.db = db
        rows = try QueueRows(db)
        self.now = now
        self.keys = keys
    }

    mutating func apply(_ completion: PreparedCompletion) throws -> CompletionOutcome {
        let lease = completion.lease
        guard var entry = try rows.fetch(lease.key), entry.isHeld(by: lease.token, at: now) else {
            return .leaseLost
        }
        let effect = entry.complete(token: lease.token, now: now)
        let indexed = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT revision, status, content_hash, chunk_count FROM documents WHERE tenant = ? AND doc_id = ?"),
            arguments: [lease.key.tenant.rawValue, lease.key.docId.rawValue])
        let indexedRevision: Int64? = indexed?["revision"]
        let indexedChunks: Int = indexed?["chunk_count"] ?? 0
        let previousHash = indexed.flatMap { $0["status"] == DocumentState.Status.deleted.rawValue ? nil : SQLiteStore.contentHash($0) }
        let outcome: CompletionOutcome
        if let indexedRevision, indexedRevision >= lease.revision {
            outcome = .stale
        } else {
            try write(completion)
            if let chunks = completion.chunkCountAfter, chunks != indexedChunks {
                chunkDeltas[lease.key.tenant.rawValue, default: 0] += chunks - indexedChunks
            }
            try record(completion.file, for: lease.key)
            if let covered = completion.sinkExtent {
                // The sink holds exactly what was just recorded: a surplus it cleared is forgotten.
                try db.cachedStatement(sql: "DELETE FROM sink_extents WHERE tenant = ? AND doc_id = ? AND extent <= ?")
                    .execute(arguments: [lease.key.tenant.rawValue, lease.key.docId.rawValue, covered])
            }
            outcome = effect == .remove ? .applied : .appliedNewerPending
        }
        if effect == .remove {
            try QueueEntry.delete(db, lease.key)
        } else {
            try rows.save(entry)
        }
        if case .api = lease.origin {
            // Content the document no longer uses, and no queued change needs, goes.
            for hash in Set([previousHash, lease.contentHash].compactMap { $0 }) {
                try SQLiteStore.releaseContent(db, lease.key, hash)
            }
        }
        return outcome
    }

    /// Raises the search generation of every tenant whose chunks changed
    /// (`SearchCache`): once, at the end of the transaction.
    func raiseSearchGenerations() throws {
        let raise = try db.cachedStatement(sql: """
            INSERT INTO search_generations (tenant, generation) VALUES (?, 1)
            ON CONFLICT (tenant) DO UPDATE SET generation = generation + 1
            """)
        for tenant in changedDocuments.keys { try raise.execute(arguments: [tenant]) }
    }

    /// Adds what this transaction changed to each tenant's count of chunks
    /// (`tenant_chunks`, read by the quota): once, at the end of the transaction.
    func recordTenantChunks() throws {
        let add = try db.cachedStatement(sql: """
            INSERT INTO tenant_chunks (tenant, chunks) VALUES (?, ?)
            ON CONFLICT (tenant) DO UPDATE SET chunks = chunks + excluded.chunks
            """)
        for (tenant, delta) in chunkDeltas where delta != 0 { try add.execute(arguments: [tenant, delta]) }
    }

    /// For the search indexes this process keeps (`keys` of a tenant), what
    /// this transaction did: the changed documents' rows as they are now, and
    /// the tenant's generation after it (read after `raiseSearchGenerations`).
    func searchChanges(keys: (String) -> [SearchCache.Key]) throws -> [SearchCache.DocumentsChange] {
        var changes: [SearchCache.DocumentsChange] = []
        for (tenant, documents) in changedDocuments {
            let kept = keys(tenant)
            guard !kept.isEmpty else { continue }
            let generation = try Int64.fetchOne(
                db, sql: "SELECT generation FROM search_generations WHERE tenant = ?", arguments: [tenant]) ?? 0
            let rows = try db.cachedStatement(sql: """
                SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_by_document JOIN embeddings e ON e.id = c.embedding
                WHERE c.tenant = ? AND c.doc_id = ? AND e.model = ? ORDER BY c.ordinal
                """)
            for key in kept {
                let changed = try documents.sorted().map { docId in
                    SearchCache.DocumentsChange.Document(
                        docId: docId,
                        rows: try Row.fetchAll(rows, arguments: [tenant, docId, key.model]).map { ($0[0] as Int64, $0[1] as Data) })
                }
                changes.append(SearchCache.DocumentsChange(key: key, generation: generation, documents: changed))
            }
        }
        return changes
    }

    private mutating func write(_ completion: PreparedCompletion) throws {
        let lease = completion.lease
        let tenant = lease.key.tenant.rawValue
        let docId = lease.key.docId.rawValue
        switch completion.result {
        case .indexed(let document):
            changedDocuments[tenant, default: []].insert(docId)
            let model = try modelID(document.modelKey, dimension: document.dimension)
            let insertVector = try db.cachedStatement(sql: "INSERT INTO embeddings (model, text_hash, vector) VALUES (?, ?, ?)")
            let upsertChunk = try db.cachedStatement(sql: """
                INSERT INTO chunks (tenant, doc_id, ordinal, chunk_id, text, text_hash, embedding, revision, heading_path, places)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant, doc_id, ordinal) DO UPDATE SET
                    chunk_id = excluded.chunk_id, text = excluded.text, text_hash = excluded.text_hash,
                    embedding = excluded.embedding, revision = excluded.revision,
                    heading_path = excluded.heading_path, places = excluded.places
                """)
            for chunk in completion.chunkRows {
                // A cached vector (or one another document of this transaction inserted
                // first) is used; a new one is inserted. Bound through `RowStepper`: this
                // loop is most of the single writer's work. A key the filter has never
                // seen is not looked up.
                var embedding = keys.mayContain(model: model, textHash: chunk.textHash)
                    ? try EmbeddingKeys.find(db, model: model, textHash: chunk.textHash) : nil
                if embedding == nil, let vector = chunk.vector {
                    let insert = RowStepper(insertVector, in: db)
                    try insert.bind(1, model)
                    try insert.bind(2, chunk.textHash)
                    try insert.bind(3, vector)
                    try insert.execute()
                    let id = db.lastInsertedRowID
                    try EmbeddingKeys.add(db, model: model, textHash: chunk.textHash, embedding: id)
                    keys.insert(model: model, textHash: chunk.textHash)
                    stagedKeys = true
                    embedding = id
                }
                guard let embedding else {
                    // Only possible if the cache was collected while a worker ran.
                    throw SluiceError(.storage, "the cached vector of a chunk of \(lease.key) is gone; it will be embedded again", isRetryable: true)
                }
                let upsert = RowStepper(upsertChunk, in: db)
                try upsert.bind(1, tenant)
                try upsert.bind(2, docId)
                try upsert.bind(3, chunk.ordinal)
                try upsert.bind(4, chunk.chunkId)
                try upsert.bind(5, chunk.text)
                try upsert.bind(6, chunk.textHash)
                try upsert.bind(7, embedding)
                try upsert.bind(8, lease.revision)
                try upsert.bind(9, chunk.headingPath)
                try upsert.bind(10, chunk.places)
                try upsert.execute()
            }
            try deleteChunks(tenant: tenant, docId: docId, from: completion.chunkCount)
            try saveDocument(
                lease, status: .indexed, contentHash: document.contentHash, chunkCount: completion.chunkCount,
                settings: document.settingsFingerprint, title: document.title, reason: nil,
                notes: document.notes.isEmpty ? nil : document.notes.joined(separator: "\n"))
        case .unchanged:
            try db.cachedStatement(sql: """
                UPDATE documents SET revision = ?, updated_at = ?, processings = processings + 1
                WHERE tenant = ? AND doc_id = ?
                """).execute(arguments: [lease.revision, now.milliseconds, tenant, docId])
        case .deleted:
            try deleteChunks(tenant: tenant, docId: docId, from: 0)
            try saveDocument(
                lease, status: .deleted, contentHash: Tombstone.hash(tenant: lease.key.tenant, docId: lease.key.docId),
                chunkCount: 0, settings: "", title: nil, reason: nil)
        case .skipped(let hash, let reason):
            try deleteChunks(tenant: tenant, docId: docId, from: 0)
            try saveDocument(
                lease, status: .skipped, contentHash: hash, chunkCount: 0, settings: "", title: nil,
                reason: reason)
        }
    }

    private func record(_ file: FileRecord?, for key: DocumentKey) throws {
        switch file {
        case .seen(let state):
            try SQLiteStore.saveFileState(db, state)
        case .gone:
            try db.cachedStatement(sql: "DELETE FROM files WHERE tenant = ? AND doc_id = ?")
                .execute(arguments: [key.tenant.rawValue, key.docId.rawValue])
        case nil:
            break
        }
    }

    private mutating func deleteChunks(tenant: String, docId: String, from ordinal: Int) throws {
        try db.cachedStatement(sql: "DELETE FROM chunks WHERE tenant = ? AND doc_id = ? AND ordinal >= ?")
            .execute(arguments: [tenant, docId, ordinal])
        if db.changesCount > 0 { changedDocuments[tenant, default: []].insert(docId) }
    }

    private func saveDocument(
        _ lease: Lease, status: DocumentState.Status, contentHash: ContentHash?, chunkCount: Int, settings: String,
        title: String?, reason: String?, notes: String? = nil
    ) throws {
        try db.cachedStatement(sql: """
            INSERT INTO documents
                (tenant, doc_id, status, content_hash, revision, chunk_count, settings, source, title, reason, updated_at, meta, notes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET
                status = excluded.status, content_hash = excluded.content_hash, revision = excluded.revision,
                chunk_count = excluded.chunk_count, settings = excluded.settings, source = excluded.source,
                title = excluded.title, reason = excluded.reason, updated_at = excluded.updated_at, meta = excluded.meta,
                notes = excluded.notes, processings = documents.processings + 1
            """).execute(arguments: [
                lease.key.tenant.rawValue, lease.key.docId.rawValue, status.rawValue, contentHash.map { Data($0.bytes) }, lease.revision,
                chunkCount, settings, lease.origin.sourceName, title, reason, now.milliseconds, lease.origin.metaJSON, notes,
            ])
    }

    private mutating func modelID(_ key: String, dimension: Int) throws -> Int64 {
        if let id = modelIDs[key] { return id }
        guard let id = try SQLiteStore.modelID(db, key: key, dimension: dimension, create: true) else {
            throw SluiceError(.internal, "could not register the embedding model \(key)")
        }
        keys.noteModel(key, id: id)
        modelIDs[key] = id
        return id
    }
}

extension SQLiteStore {
    /// The id of an embedding model, created on first use when `create` is set.
    static func modelID(_ db: Database, key: String, dimension: Int, create: Bool) throws -> Int64? {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [key]) {
            return id
        }
        guard create else { return nil }
        try db.execute(sql: "INSERT INTO models (key, dimension) VALUES (?, ?)", arguments: [key, dimension])
        return db.lastInsertedRowID
    }
}

/// A completion with its chunk rows encoded for SQLite, prepared by the
/// worker before it enters the single writer, so the writer only binds and steps.
struct PreparedCompletion: Sendable {
    struct ChunkRow: Sendable {
        var ordinal: Int
        var chunkId: String
        var text: String
        var textHash: Data
        var vector: Data?
        var headingPath: String?
        var places: String?
    }

    var lease: Lease
    var result: DocumentResult
    var file: FileRecord?
    var chunkRows: [ChunkRow]
    var sinkExtent: Int?

    init(_ completion: Completion) {
        lease = completion.lease
        file = completion.file
        sinkExtent = completion.sinkExtent
        chunkCountAfter = completion.result.recordedChunkCount
        if case .indexed(var document) = completion.result {
            chunkRows = document.chunks.map { chunk in
                ChunkRow(
                    ordinal: chunk.ordinal,
                    chunkId: ChunkID.string(completion.lease.key, ordinal: chunk.ordinal),
                    text: chunk.text, textHash: Data(chunk.textHash.bytes), vector: chunk.vector.map(VectorCoding.encode),
                    headingPath: chunk.location.headingPathColumn, places: chunk.location.placesColumn)
            }
            // The rows carry the chunks now; keep only the count.
            let count = document.chunks.count
            document.chunks = []
            result = .indexed(document)
            chunkCount = count
        } else {
            chunkRows = []
            result = completion.result
            chunkCount = 0
        }
    }

    var chunkCount: Int

    /// The document's chunk count once this is applied (`DocumentResult.recordedChunkCount`, taken before the
    /// rows took the chunks); nil when it keeps the one it has.
    var chunkCountAfter: Int?
}
