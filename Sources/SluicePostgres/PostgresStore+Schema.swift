import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore {
    /// The schema's versions, in order; each runs once, in a transaction.
    /// Integers are `bigint` throughout (Swift's `Int` binds as int8), times
    /// milliseconds since 1970 of the database's clock, hashes 32 bytes.
    static let migrations: [(version: Int, name: String, sql: String)] = [
        (1, "queue and document state", """
            -- Revisions order every change of every document across processes.
            CREATE SEQUENCE revisions;

            -- The durable queue: one row per document (DESIGN.md invariant 2), the unit of single flight.
            CREATE TABLE queue (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                revision bigint NOT NULL,
                kind text NOT NULL,
                source text NOT NULL,
                root text,
                tenant_dir text,
                path text,
                content_hash bytea,
                priority bigint NOT NULL,
                state bigint NOT NULL,
                first_change_at bigint NOT NULL,
                last_change_at bigint NOT NULL,
                ready_at bigint NOT NULL,
                attempts bigint NOT NULL,
                superseded bigint NOT NULL,
                lease_expiries bigint NOT NULL,
                lease_token text,
                lease_expires_at bigint,
                lease_revision bigint,
                last_error text,
                enqueued_at bigint NOT NULL,
                meta text,
                PRIMARY KEY (tenant, doc_id)
            );
            -- Leasing goes round the tenants with queued rows of a priority, then takes one tenant's oldest.
            CREATE INDEX queue_by_tenant_readiness ON queue (priority, tenant, ready_at) WHERE state = 0;
            CREATE INDEX queue_by_lease_expiry ON queue (lease_expires_at) WHERE lease_token IS NOT NULL;

            -- What is indexed of each document.
            CREATE TABLE documents (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                status text NOT NULL,
                -- The content's SHA-256; a deleted document's tombstone hash; NULL when never read.
                content_hash bytea,
                revision bigint NOT NULL,
                chunk_count bigint NOT NULL,
                settings text NOT NULL,
                source text NOT NULL,
                title text,
                reason text,
                updated_at bigint NOT NULL,
                processings bigint NOT NULL DEFAULT 1,
                meta text,
                notes text,
                PRIMARY KEY (tenant, doc_id)
            );
            CREATE INDEX documents_by_status ON documents (tenant, status);
            CREATE INDEX documents_by_update ON documents (tenant, updated_at);

            -- Each document's chunks as written to the sink (the vectors live in the sink).
            CREATE TABLE chunks (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                ordinal bigint NOT NULL,
                chunk_id text NOT NULL,
                text text NOT NULL,
                text_hash bytea NOT NULL,
                revision bigint NOT NULL,
                heading_path text,
                places text,
                PRIMARY KEY (tenant, doc_id, ordinal)
            );

            -- How far a document's points in the sink may reach beyond its chunk count.
            CREATE TABLE sink_extents (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                extent bigint NOT NULL,
                PRIMARY KEY (tenant, doc_id)
            );

            -- Published documents' content, kept while the document or a queued change uses it.
            CREATE TABLE contents (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                hash bytea NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (tenant, doc_id, hash)
            );

            -- When each tenant's current onboarding (a backlog from empty) started.
            CREATE TABLE onboarding_starts (
                tenant text PRIMARY KEY,
                started_at bigint NOT NULL
            );
            """),
        (2, "file state and scan problems", """
            -- What the scan (or a worker) last recorded about each watched file.
            CREATE TABLE files (
                tenant text NOT NULL,
                doc_id text NOT NULL,
                root text NOT NULL,
                tenant_dir text NOT NULL,
                path text NOT NULL,
                size bigint NOT NULL,
                mtime_ns bigint NOT NULL,
                ctime_ns bigint NOT NULL,
                -- The inode's 64 bits, as a signed bigint.
                inode bigint NOT NULL,
                content_hash bytea NOT NULL,
                recorded_at_ns bigint NOT NULL,
                PRIMARY KEY (tenant, doc_id)
            );
            CREATE INDEX files_by_root ON files (root);
            CREATE INDEX queue_by_root ON queue (root) WHERE source = 'file';

            -- What the last scans found wrong, per tenant ('' for the root itself).
            CREATE TABLE scan_problems (
                tenant text NOT NULL,
                message text NOT NULL,
                seen_at bigint NOT NULL,
                PRIMARY KEY (tenant, message)
            );
            """),
        (3, "API keys, the embedding cache and Sluice's own values", """
            -- API keys: the SHA-256 of each secret, never the secret.
            CREATE TABLE api_keys (
                id text PRIMARY KEY,
                hash bytea NOT NULL UNIQUE,
                tenant text,
                label text,
                created_at bigint NOT NULL,
                revoked_at bigint
            );

            -- Vectors already computed, by model and chunk text (little-endian Float32), so an
            -- unchanged chunk is never embedded twice and a remote sink can be sent every chunk.
            CREATE TABLE embeddings (
                model text NOT NULL,
                text_hash bytea NOT NULL,
                vector bytea NOT NULL,
                PRIMARY KEY (model, text_hash)
            );

            -- Values Sluice keeps for itself (the settings fingerprint, the supported types).
            CREATE TABLE meta (
                key text PRIMARY KEY,
                value text NOT NULL
            );
            """),
        (4, "API rate limits shared by every process", """
            -- One token bucket per API key (or loopback client): tokens left when last
            -- taken from, and when. Unlogged: a crash only refills the buckets.
            CREATE UNLOGGED TABLE rate_buckets (
                bucket text PRIMARY KEY,
                tokens double precision NOT NULL,
                updated_ms bigint NOT NULL
            );
            """),
        (5, "one watching process per folder", """
            -- Who watches each folder (its process's host and data directory), until when.
            CREATE TABLE watch_claims (
                root text PRIMARY KEY,
                owner text NOT NULL,
                expires_ms bigint NOT NULL
            );
            """),
        (6, "the processes that run workers, and their settings", """
            -- Each process running workers (its host and data directory), the settings fingerprint it
            -- runs with, and when it last said it was alive.
            CREATE TABLE processes (
                owner text PRIMARY KEY,
                fingerprint text NOT NULL,
                seen_ms bigint NOT NULL
            );
            """),
        (7, "tenants in byte order for leasing", """
            -- Leasing walks the tenants in byte order (COLLATE "C"), as the walk's code compares them,
            -- whatever the database's collation (en_US orders "a-b" and "ab" otherwise); the index
            -- serves that order, the next tenants after a cursor, and one tenant's oldest rows.
            DROP INDEX queue_by_tenant_readiness;
            CREATE INDEX queue_by_tenant_readiness ON queue (priority, (tenant COLLATE "C"), ready_at) WHERE state = 0;
            """),
        (8, "dead letters by time", """
            -- The newest dead letters (GET /v1/dead-letters, the dashboard's poll), of every tenant or one,
            -- read backwards without sorting them all. Only dead rows (state 1) are in them.
            CREATE INDEX queue_dead_by_time ON queue (last_change_at, tenant, doc_id) WHERE state = 1;
            CREATE INDEX queue_dead_by_tenant ON queue (tenant, last_change_at, doc_id) WHERE state = 1;
            """),
        (9, "chunks per tenant", """
            -- How many chunks each tenant's documents hold (the sum of their chunk_count), kept by every
            -- completion, for the per-tenant quota (SLUICE_TENANT_MAX_CHUNKS) to read in one seek.
            CREATE TABLE tenant_chunks (
                tenant text PRIMARY KEY,
                chunks bigint NOT NULL
            );
            INSERT INTO tenant_chunks (tenant, chunks)
                SELECT tenant, sum(chunk_count) FROM documents GROUP BY tenant HAVING sum(chunk_count) <> 0;
            """),
    ]

    /// The newest migration applied to this store's schema.
    public func schemaVersion() async throws -> Int {
        try await reading("reading the schema version") { connection in
            try await connection.query("SELECT coalesce(max(version), 0) FROM sluice_migrations", logger: self.logger).firstRow()?.decode(Int.self) ?? 0
        }
    }

    /// The newest schema version this Sluice knows.
    public static var newestSchemaVersion: Int { migrations.last?.version ?? 0 }

    /// Creates the schema or brings it up to date. Under an advisory lock
    /// (per schema), so processes starting together do not race: the first
    /// migrates, the others wait and find nothing left to do.
    func migrate() async throws {
        try await transaction("migrating the PostgreSQL schema \(location.schema)") { [self] connection in
            let schema = location.schema
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("sluice-migrate:" + schema)))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema)\"")", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS sluice_migrations (
                    version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM sluice_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > PostgresStore.migrations.last?.version ?? 0 {
                throw SluiceError(
                    .configuration,
                    "the PostgreSQL schema \(schema) was made by a newer Sluice (version \(newest)); upgrade this one or use another schema")
            }
            for migration in PostgresStore.migrations where !applied.contains(migration.version) {
                // One statement at a time: a prepared statement holds one. Statements end a line with ";".
                for statement in migration.sql.components(separatedBy: ";\n") {
                    let code = statement.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
                    guard code.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { continue }
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO sluice_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
            }
        }
    }
}
