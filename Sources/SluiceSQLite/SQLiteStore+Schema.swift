import GRDB

extension SQLiteStore {
    /// Schema migrations, applied in order when a store opens; each is
    /// frozen once released (a store that applied it never runs it again).
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        registerFoundation(&migrator)
        registerLater(&migrator)
        return migrator
    }()

    /// v1 to v4: queue, files, documents, chunks and vectors; published content; keys; indexes.
    private static func registerFoundation(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;

                -- What the scan last recorded about each file (replaces the seed's in-memory fileHashes).
                CREATE TABLE files (
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    root TEXT NOT NULL,
                    tenant_dir TEXT NOT NULL,
                    path TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    content_hash BLOB NOT NULL,
                    recorded_at_ns INTEGER NOT NULL,
                    PRIMARY KEY (tenant, doc_id)
                ) WITHOUT ROWID;
                CREATE INDEX files_by_root ON files(root);

                -- The indexed state of each document.
                CREATE TABLE documents (
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    chunk_count INTEGER NOT NULL,
                    settings TEXT NOT NULL,
                    source TEXT NOT NULL,
                    title TEXT,
                    reason TEXT,
                    updated_at INTEGER NOT NULL,
                    -- How many times a worker completed this document (coalescing shows as few).
                    processings INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (tenant, doc_id)
                ) WITHOUT ROWID;
                CREATE INDEX documents_by_status ON documents(tenant, status);

                -- The durable queue: one row per document (DESIGN.md invariant 2).
                CREATE TABLE queue (
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    source TEXT NOT NULL,
                    root TEXT,
                    tenant_dir TEXT,
                    path TEXT,
                    content_hash BLOB,
                    priority INTEGER NOT NULL,
                    state INTEGER NOT NULL,
                    first_change_at INTEGER NOT NULL,
                    last_change_at INTEGER NOT NULL,
                    ready_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    superseded INTEGER NOT NULL,
                    lease_expiries INTEGER NOT NULL,
                    lease_token TEXT,
                    lease_expires_at INTEGER,
                    lease_revision INTEGER,
                    last_error TEXT,
                    enqueued_at INTEGER NOT NULL,
                    PRIMARY KEY (tenant, doc_id)
                ) WITHOUT ROWID;
                CREATE INDEX queue_by_readiness ON queue(state, priority DESC, ready_at);

                -- Embedding models; vectors of different models never mix.
                CREATE TABLE models (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    dimension INTEGER NOT NULL
                );

                -- The embedding cache and the vectors of the index: one vector per (model, chunk text).
                -- A rowid table, so a 1.5 KB vector stays on its page instead of spilling to an
                -- overflow page as it would in a WITHOUT ROWID table, and new vectors append.
                CREATE TABLE embeddings (
                    id INTEGER PRIMARY KEY,
                    model INTEGER NOT NULL,
                    text_hash BLOB NOT NULL,
                    vector BLOB NOT NULL
                );
                CREATE UNIQUE INDEX embeddings_by_text ON embeddings(model, text_hash);

                -- The embedded index's chunks. Each refers to its vector by id, so the search
                -- index below grows at its end instead of at random hash positions.
                CREATE TABLE chunks (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    ordinal INTEGER NOT NULL,
                    chunk_id TEXT NOT NULL,
                    text TEXT NOT NULL,
                    text_hash BLOB NOT NULL,
                    embedding INTEGER NOT NULL,  -- embeddings.id (no FOREIGN KEY: the check would scan chunks on every vector deletion)
                    revision INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX chunks_by_document ON chunks(tenant, doc_id, ordinal);
                CREATE INDEX chunks_for_search ON chunks(tenant, embedding);
                """)
        }
        migrator.registerMigration("v2: documents published over HTTP") { db in
            try db.execute(sql: """
                -- Content published over the API, kept by hash while a document or a queued change uses it,
                -- so it can be re-indexed like a file.
                CREATE TABLE contents (
                    id INTEGER PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    bytes BLOB NOT NULL
                );
                ALTER TABLE queue ADD COLUMN meta TEXT;
                ALTER TABLE documents ADD COLUMN attributes TEXT;
                """)
        }
        migrator.registerMigration("v3: API keys") { db in
            try db.execute(sql: """
                -- API keys: only the SHA-256 of each secret is kept. tenant NULL is an admin key.
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    tenant TEXT,
                    label TEXT,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v4: lookups without scans") { db in
            try db.execute(sql: """
                -- Only leased rows (a few per worker), so a worker finds the next expiry without a scan.
                CREATE INDEX queue_by_lease_expiry ON queue(lease_expires_at) WHERE lease_token IS NOT NULL;
                -- Published content belongs to its document: whether it is still used is then two lookups
                -- by document (its queue row, its indexed state) rather than a search of every document by
                -- hash, and no index keyed by a random hash is written on every publish.
                CREATE TABLE document_contents (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    hash BLOB NOT NULL,
                    bytes BLOB NOT NULL,
                    UNIQUE (tenant, doc_id, hash)
                );
                INSERT INTO document_contents (tenant, doc_id, hash, bytes)
                    SELECT q.tenant, q.doc_id, c.hash, c.bytes FROM queue q JOIN contents c ON c.hash = q.content_hash
                    WHERE q.source = 'api'
                    ON CONFLICT DO NOTHING;
                INSERT INTO document_contents (tenant, doc_id, hash, bytes)
                    SELECT d.tenant, d.doc_id, c.hash, c.bytes FROM documents d JOIN contents c ON lower(hex(c.hash)) = d.content_hash
                    WHERE d.source = 'api' AND d.status != 'deleted'
                    ON CONFLICT DO NOTHING;
                DROP TABLE contents;
                ALTER TABLE document_contents RENAME TO contents;
                -- The meta object of a document published over the API (JSON): its attributes filter
                -- searches, and it is what re-indexing the stored content needs (mimeType, title).
                ALTER TABLE documents DROP COLUMN attributes;
                ALTER TABLE documents ADD COLUMN meta TEXT;
                """)
        }
    }
}
