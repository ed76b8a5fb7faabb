import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: IndexStore {
    public func search(
        tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String] = [:]
    ) async throws -> [SearchHit] {
        try await read("searching \(tenant)") { db in
            guard k > 0, let model = try SQLiteStore.modelID(db, key: modelKey, dimension: vector.count, create: false) else {
                return []
            }
            let cursor: RowCursor
            if attributes.isEmpty {
                // Scan the covering index (tenant, embedding) and read each vector by id, in id order.
                cursor = try Row.fetchCursor(db, sql: """
                    SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_for_search
                    JOIN embeddings e ON e.id = c.embedding
                    WHERE c.tenant = ? AND e.model = ?
                    """, arguments: [tenant.rawValue, model])
            } else {
                // The matching documents first, then their chunks by document.
                let conditions = Array(
                    repeating: "EXISTS (SELECT 1 FROM json_each(d.meta, '$.attributes') WHERE key = ? AND value = ?)",
                    count: attributes.count
                ).joined(separator: " AND ")
                var arguments: StatementArguments = [tenant.rawValue, model, tenant.rawValue]
                for (key, value) in attributes.sorted(by: { $0.key < $1.key }) { arguments += [key, value] }
                cursor = try Row.fetchCursor(db, sql: """
                    SELECT c.id, e.vector FROM chunks c INDEXED BY chunks_by_document
                    JOIN embeddings e ON e.id = c.embedding
                    WHERE c.tenant = ? AND e.model = ? AND c.doc_id IN (
                        SELECT d.doc_id FROM documents d WHERE d.tenant = ? AND d.status = 'indexed' AND \(conditions))
                    """, arguments: arguments)
            }
            var best = TopK<Int64>(k: k)
            try vector.withUnsafeBufferPointer { query in
                while let row = try cursor.next() {
                    let rowid: Int64 = row[0]
                    let score = try row.withUnsafeData(atIndex: 1) { data -> Float in
                        guard let data, data.count == query.count * 4 else { return -.infinity }
                        return data.withUnsafeBytes { raw in
                            VectorMath.dot(query, raw.bindMemory(to: Float.self))
                        }
                    }
                    best.offer(score, rowid)
                }
            }
            let ranked = best.sorted
            guard !ranked.isEmpty else { return [] }
            let ids = ranked.map(\.item)
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, doc_id, ordinal, text, heading_path, places FROM chunks WHERE id IN (\(placeholders))",
                arguments: StatementArguments(ids))
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as Int64, $0) })
            return ranked.compactMap { entry in
                guard let row = byID[entry.item] else { return nil }
                return SearchHit(
                    tenant: tenant.rawValue, docId: row["doc_id"], ordinal: row["ordinal"], score: entry.score,
                    text: row["text"], location: ChunkLocation(headingPathColumn: row["heading_path"], placesColumn: row["places"]))
            }
        }
    }

    public func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash> {
        guard !textHashes.isEmpty else { return [] }
        return try await read("reading the embedding cache") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return []
            }
            var found = Set<ContentHash>()
            for hash in Set(textHashes) where try EmbeddingKeys.find(db, model: model, textHash: Data(hash.bytes)) != nil {
                found.insert(hash)
            }
            return found
        }
    }

    public func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]] {
        guard !textHashes.isEmpty else { return [:] }
        return try await read("reading cached vectors") { db in
            guard let model = try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE key = ?", arguments: [modelKey]) else {
                return [:]
            }
            let statement = try db.cachedStatement(sql: "SELECT vector FROM embeddings WHERE id = ?")
            var found: [ContentHash: [Float]] = [:]
            for hash in Set(textHashes) {
                guard let id = try EmbeddingKeys.find(db, model: model, textHash: Data(hash.bytes)),
                    let data = try Data.fetchOne(statement, arguments: [id])
                else { continue }
                var vector: [Float] = []
                VectorCoding.decode(data, into: &vector)
                found[hash] = vector
            }
            return found
        }
    }

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

    public func tenantSummaries(tenant: TenantID?) async throws -> [TenantSummary] {
        try await read("summarizing tenants") { db in
            var summaries: [String: TenantSummary] = [:]
            // With a tenant, both reads are ranges of the tables' primary keys.
            let only = tenant == nil ? "" : "WHERE tenant = ?"
            let arguments: StatementArguments = tenant.map { [$0.rawValue] } ?? []
            let documentRows = try Row.fetchAll(db, sql: """
                SELECT tenant, status, COUNT(*) AS count, SUM(chunk_count) AS chunks, MAX(updated_at) AS last
                FROM documents \(only) GROUP BY tenant, status
                """, arguments: arguments)
            for row in documentRows {
                let tenant: String = row["tenant"]
                var summary = summaries[tenant] ?? TenantSummary(tenant: tenant)
                let count: Int = row["count"]
                switch DocumentState.Status(rawValue: row["status"]) {
                case .indexed: summary.indexed += count
                case .skipped: summary.skipped += count
                case .deleted: summary.deleted += count
                case nil: break
                }
                summary.chunks += row["chunks"] ?? 0
                summary.lastActivity = max(summary.lastActivity, Timestamp(milliseconds: row["last"]))
                summaries[tenant] = summary
            }
            let queueRows = try Row.fetchAll(db, sql: """
                SELECT tenant, SUM(state = 0) AS pending, SUM(state = 1) AS failed, MAX(last_change_at) AS last
                FROM queue \(only) GROUP BY tenant
                """, arguments: arguments)
            for row in queueRows {
                let tenant: String = row["tenant"]
                var summary = summaries[tenant] ?? TenantSummary(tenant: tenant)
                summary.pending = row["pending"]
                summary.failed = row["failed"]
                summary.lastActivity = max(summary.lastActivity, Timestamp(milliseconds: row["last"]))
                summaries[tenant] = summary
            }
            return summaries.values.sorted { $0.tenant < $1.tenant }
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
                        text: row["text"], textHash: Array(textHash).hexString, contentHash: row["content_hash"],
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

    @discardableResult
    public func onboardings(tenant: TenantID?, window: Duration) async throws -> [OnboardingProgress] {
        let now = clock.now()
        return try await read("reading onboarding progress") { db in
            try SQLiteStore.onboardings(db, tenant: tenant, window: window, now: now)
        }
    }

    public func onboardingReport(window: Duration) async throws -> (tenants: [OnboardingProgress], overall: OnboardingProgress?) {
        let now = clock.now()
        return try await read("reading onboarding progress") { db in
            let tenants = try SQLiteStore.onboardings(db, tenant: nil, window: window, now: now)
            let wave = OnboardingProgress.wave(tenants)
            guard let start = wave.map(\.startedAt).min() else { return (tenants, nil) }
            let firstBatch = try wave.compactMap { try SQLiteStore.firstUpdate(db, tenant: $0.tenant, since: start) }.min()
            let since = max(now - window, firstBatch ?? now)
            let finished = try wave.reduce(0) { $0 + (try SQLiteStore.updates(db, tenant: $1.tenant, after: since)) }
            return (tenants, OnboardingProgress.combined(wave, filesPerMinute: SQLiteStore.perMinute(finished, since: since, now: now)))
        }
    }

    /// Each tenant's current or last onboarding, counted from its start:
    /// documents written since (processed), dead letters of changes since
    /// (failed) and pending queue rows; with its rate over its own window.
    static func onboardings(_ db: Database, tenant: TenantID?, window: Duration, now: Timestamp) throws -> [OnboardingProgress] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT tenant, started_at FROM onboarding_starts WHERE (:tenant IS NULL OR tenant = :tenant) ORDER BY tenant",
            arguments: ["tenant": tenant?.rawValue])
        let queued = try db.cachedStatement(sql: """
            SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1 AND last_change_at >= :since)
            FROM queue WHERE tenant = :tenant
            """)
        let last = try db.cachedStatement(sql: "SELECT max(updated_at) FROM documents INDEXED BY documents_by_update WHERE tenant = ?")
        return try rows.map { row in
            let name: String = row["tenant"]
            let started = Timestamp(milliseconds: row["started_at"])
            let counts = try Row.fetchOne(queued, arguments: ["tenant": name, "since": started.milliseconds])
            let pending: Int = counts?[0] ?? 0
            let failed: Int = counts?[1] ?? 0
            let processed = try updates(db, tenant: name, after: started - .milliseconds(1))
            let since = max(now - window, try firstUpdate(db, tenant: name, since: started) ?? now)
            let finishedAt = pending > 0 ? nil : try Int64.fetchOne(last, arguments: [name]).map { Timestamp(milliseconds: max($0, started.milliseconds)) } ?? started
            return OnboardingProgress(
                tenant: name, startedAt: started, total: processed + failed + pending, processed: processed, failed: failed,
                pending: pending, filesPerMinute: perMinute(try updates(db, tenant: name, after: since), since: since, now: now),
                finishedAt: finishedAt)
        }
    }

    /// When the tenant's first document was written at or after `since` (the
    /// first batch of an onboarding finished), if any was.
    static func firstUpdate(_ db: Database, tenant: String, since: Timestamp) throws -> Timestamp? {
        let statement = try db.cachedStatement(sql: "SELECT min(updated_at) FROM documents INDEXED BY documents_by_update WHERE tenant = ? AND updated_at >= ?")
        return try Int64.fetchOne(statement, arguments: [tenant, since.milliseconds]).map(Timestamp.init(milliseconds:))
    }

    /// Documents of the tenant written after `after` (strictly: the batch that finished at `after` did its work before).
    static func updates(_ db: Database, tenant: String, after: Timestamp) throws -> Int {
        let statement = try db.cachedStatement(sql: "SELECT count(*) FROM documents INDEXED BY documents_by_update WHERE tenant = ? AND updated_at > ?")
        return try Int.fetchOne(statement, arguments: [tenant, after.milliseconds]) ?? 0
    }

    static func perMinute(_ count: Int, since: Timestamp, now: Timestamp) -> Double {
        guard now > since else { return 0 }
        return Double(count) / max(0.25, (now - since).seconds) * 60
    }

    public func purge(tenant: TenantID) async throws -> Int {
        try await write("purging tenant \(tenant)") { db in
            let documents = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents WHERE tenant = ?", arguments: [tenant.rawValue]) ?? 0
            for table in ["chunks", "documents", "queue", "onboarding_starts", "files", "contents"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE tenant = ?", arguments: [tenant.rawValue])
            }
            return documents
        }
    }

    @discardableResult
    public func collectUnusedEmbeddings() async throws -> Int {
        try await write("collecting unused embeddings") { db in try EmbeddingKeys.collectUnused(db) }
    }

    public func requeueDocuments(notMatching accepted: Set<String>, priority: Priority) async throws -> Int {
        let now = clock.now()
        let settle = options.settle
        let list = Array(repeating: "?", count: accepted.count).joined(separator: ", ")
        let arguments = StatementArguments(accepted.sorted())
        return try await enqueueing("queueing documents for re-indexing") { db, effects in
            var changes = try SQLiteStore.fileUpserts(
                db, where: "d.status = 'indexed' AND d.settings NOT IN (\(list))", arguments: arguments, priority: priority)
            // Documents published over the API are re-indexed from their stored content.
            for row in try Row.fetchAll(db, sql: """
                SELECT tenant, doc_id, content_hash, meta FROM documents
                WHERE source = 'api' AND status = 'indexed' AND settings NOT IN (\(list))
                """, arguments: arguments)
            {
                let key = DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"]))
                changes.append(Change(
                    key: key, kind: .upsert, origin: .api(storedMeta: row["meta"], key: key),
                    contentHash: (row["content_hash"] as String?).flatMap(ContentHash.init(hex:)), priority: priority))
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }

    public func requeueSkippedFiles(reasonPrefix: String, extensions: Set<String>, priority: Priority) async throws -> Int {
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("queueing files of newly supported types") { db, effects in
            // A prefix range rather than LIKE, whose % and _ the prefix might hold.
            let changes = try SQLiteStore.fileUpserts(
                db, where: "d.status = 'skipped' AND d.source = 'file' AND d.reason >= ? AND d.reason < ?",
                arguments: [reasonPrefix, reasonPrefix + "\u{10FFFF}"], priority: priority
            ).filter { change in
                let docId = change.key.docId.rawValue
                guard let dot = docId.lastIndex(of: "."), !docId[dot...].contains("/") else { return false }
                return extensions.contains(docId[docId.index(after: dot)...].lowercased())
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }

    /// An upsert of each file-backed document `condition` selects (over
    /// `documents d` joined with their `files f`), read again from its file.
    static func fileUpserts(
        _ db: Database, where condition: String, arguments: StatementArguments, priority: Priority
    ) throws -> [Change] {
        try Row.fetchAll(db, sql: """
            SELECT d.tenant, d.doc_id, f.root, f.tenant_dir, f.path, f.content_hash FROM documents d
            JOIN files f ON f.tenant = d.tenant AND f.doc_id = d.doc_id
            WHERE \(condition)
            """, arguments: arguments
        ).map { row in
            let hash: Data = row["content_hash"]
            return Change(
                key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
                kind: .upsert,
                origin: .file(FileLocation(scanRoot: row["root"], tenantDirectory: row["tenant_dir"], path: row["path"])),
                contentHash: ContentHash(bytes: Array(hash)), priority: priority)
        }
    }
}

extension SQLiteStore {
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

    static func raiseSinkExtent(_ db: Database, _ key: DocumentKey, to extent: Int) throws {
        try db.cachedStatement(sql: """
            INSERT INTO sink_extents (tenant, doc_id, extent) VALUES (?, ?, ?)
            ON CONFLICT (tenant, doc_id) DO UPDATE SET extent = max(extent, excluded.extent)
            """).execute(arguments: [key.tenant.rawValue, key.docId.rawValue, extent])
    }

    public func requeueForRewrite(_ keys: [DocumentKey], extent: [DocumentKey: Int], priority: Priority) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("queueing documents to be written again") { db, effects in
            // A cleared settings fingerprint makes the next processing write the document even if its content is unchanged.
            let mark = try db.cachedStatement(sql: "UPDATE documents SET settings = '' WHERE tenant = ? AND doc_id = ?")
            let queued = try db.cachedStatement(sql: "SELECT 1 FROM queue WHERE tenant = ? AND doc_id = ?")
            let document = try db.cachedStatement(sql: "SELECT status, source, content_hash, meta FROM documents WHERE tenant = ? AND doc_id = ?")
            let file = try db.cachedStatement(sql: "SELECT root, tenant_dir, path, content_hash FROM files WHERE tenant = ? AND doc_id = ?")
            var changes: [Change] = []
            for key in Set(keys) {
                let arguments: StatementArguments = [key.tenant.rawValue, key.docId.rawValue]
                try mark.execute(arguments: arguments)
                // Recorded even without a known extent: the sink may hold points of the document
                // (that is why it is rewritten), so even a tombstone of an unknown one is sent.
                try SQLiteStore.raiseSinkExtent(db, key, to: max(1, extent[key] ?? 0))
                // A pending change is processed anyway, and now written in full.
                if try Bool.fetchOne(queued, arguments: arguments) != nil { continue }
                let row = try Row.fetchOne(document, arguments: arguments)
                let status = row.flatMap { DocumentState.Status(rawValue: $0["status"]) }
                if let row, status == .indexed || status == .skipped {
                    if row["source"] == "api" {
                        changes.append(Change(
                            key: key, kind: .upsert, origin: .api(storedMeta: row["meta"], key: key),
                            contentHash: (row["content_hash"] as String?).flatMap(ContentHash.init(hex:)), priority: priority))
                        continue
                    }
                    if let location = try Row.fetchOne(file, arguments: arguments) {
                        let hash: Data = location["content_hash"]
                        changes.append(Change(
                            key: key, kind: .upsert,
                            origin: .file(FileLocation(scanRoot: location["root"], tenantDirectory: location["tenant_dir"], path: location["path"])),
                            contentHash: ContentHash(bytes: Array(hash)), priority: priority))
                        continue
                    }
                }
                // Deleted, unknown, or a file no longer recorded: a tombstone removes whatever the sink holds.
                changes.append(Change(
                    key: key, kind: .delete,
                    origin: .api(DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true)),
                    priority: priority))
            }
            _ = try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
            return changes.count
        }
    }
}

extension DocumentState {
    init(row: Row) throws {
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: row["tenant"]), docId: DocumentID(storedRawValue: row["doc_id"])),
            status: DocumentState.Status(rawValue: row["status"]) ?? .indexed,
            contentHash: row["content_hash"], revision: row["revision"], chunkCount: row["chunk_count"],
            settingsFingerprint: row["settings"], source: row["source"], title: row["title"], reason: row["reason"],
            updatedAt: Timestamp(milliseconds: row["updated_at"]))
        processings = row["processings"]
        notes = (row["notes"] as String?)?.split(separator: "\n").map(String.init) ?? []
    }
}

private func max(_ a: Timestamp?, _ b: Timestamp) -> Timestamp {
    guard let a else { return b }
    return Swift.max(a, b)
}

extension SQLiteStore {
    /// When each tenant's first document was written (for the fairness figure of `sluice bench`).
    public func firstDocumentWritten() async throws -> [String: Timestamp] {
        try await read("reading when each tenant's first document was written") { db in
            var firsts: [String: Timestamp] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tenant, min(updated_at) AS first FROM documents GROUP BY tenant") {
                firsts[row["tenant"]] = Timestamp(milliseconds: row["first"])
            }
            return firsts
        }
    }
}
