import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    /// v5 and later: onboarding, the embedding cache's keys, fair leasing,
    /// scan problems, sink extents, chunk locations, document notes, content hashes as BLOB.
    static func registerLater(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5: onboarding progress") { db in
            try db.execute(sql: """
                -- One row per tenant: its current (or last) onboarding, which starts when a change
                -- enters an empty backlog and ends when the backlog is empty again. Triggers on the
                -- queue keep it in step in the same transactions, whatever queued or finished the work,
                -- so progress survives a restart.
                CREATE TABLE onboardings (
                    tenant TEXT PRIMARY KEY,
                    started_at INTEGER NOT NULL,
                    queued INTEGER NOT NULL,
                    processed INTEGER NOT NULL,
                    failed INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- A new queue row (not a change folded into a pending one): a new onboarding when the
                -- tenant had no other pending row, then one more document queued.
                CREATE TRIGGER onboarding_queued AFTER INSERT ON queue WHEN NEW.state = 0 BEGIN
                    INSERT INTO onboardings (tenant, started_at, queued, processed, failed)
                        VALUES (NEW.tenant, NEW.first_change_at, 0, 0, 0)
                        ON CONFLICT (tenant) DO UPDATE SET started_at = excluded.started_at, queued = 0, processed = 0, failed = 0
                        WHERE NOT EXISTS (SELECT 1 FROM queue WHERE tenant = NEW.tenant AND state = 0 AND doc_id != NEW.doc_id);
                    UPDATE onboardings SET queued = queued + 1 WHERE tenant = NEW.tenant;
                END;
                -- A pending row done (completed, or removed with its tenant's purge): one more processed.
                CREATE TRIGGER onboarding_processed AFTER DELETE ON queue WHEN OLD.state = 0 BEGIN
                    UPDATE onboardings SET processed = processed + 1 WHERE tenant = OLD.tenant;
                END;
                -- A pending row turned into a dead letter: one more failed.
                CREATE TRIGGER onboarding_failed AFTER UPDATE OF state ON queue WHEN OLD.state = 0 AND NEW.state = 1 BEGIN
                    UPDATE onboardings SET failed = failed + 1 WHERE tenant = NEW.tenant;
                END;
                -- A dead letter revived: queued again, in a new onboarding if the backlog was empty.
                CREATE TRIGGER onboarding_revived AFTER UPDATE OF state ON queue WHEN OLD.state = 1 AND NEW.state = 0 BEGIN
                    INSERT INTO onboardings (tenant, started_at, queued, processed, failed)
                        VALUES (NEW.tenant, NEW.last_change_at, 0, 0, 0)
                        ON CONFLICT (tenant) DO UPDATE SET started_at = excluded.started_at, queued = 0, processed = 0, failed = 0
                        WHERE NOT EXISTS (SELECT 1 FROM queue WHERE tenant = NEW.tenant AND state = 0 AND doc_id != NEW.doc_id);
                    UPDATE onboardings SET queued = queued + 1 WHERE tenant = NEW.tenant;
                END;
                -- What is pending now is an onboarding in progress.
                INSERT INTO onboardings (tenant, started_at, queued, processed, failed)
                    SELECT tenant, min(first_change_at), count(*), 0, 0 FROM queue WHERE state = 0 GROUP BY tenant;
                -- Recent work by tenant, for the rate.
                CREATE INDEX documents_by_update ON documents(tenant, updated_at);
                """)
        }
        migrator.registerMigration("v6: onboarding pending counter") { db in
            try db.execute(sql: """
                -- v5's triggers asked the queue whether the tenant had another pending row, which the
                -- planner answered by scanning every pending row (quadratic during an onboarding). A
                -- pending counter in the onboarding row answers it, and the pending count, at once.
                DROP TRIGGER onboarding_queued;
                DROP TRIGGER onboarding_processed;
                DROP TRIGGER onboarding_failed;
                DROP TRIGGER onboarding_revived;
                ALTER TABLE onboardings ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
                UPDATE onboardings SET pending = (SELECT count(*) FROM queue WHERE queue.tenant = onboardings.tenant AND queue.state = 0);
                -- A new pending row (an insert, or a dead letter revived): a new onboarding when the
                -- tenant had none pending, then one more document queued.
                CREATE TRIGGER onboarding_queued AFTER INSERT ON queue WHEN NEW.state = 0 BEGIN
                    INSERT INTO onboardings (tenant, started_at, queued, processed, failed, pending)
                        VALUES (NEW.tenant, NEW.first_change_at, 1, 0, 0, 1)
                        ON CONFLICT (tenant) DO UPDATE SET
                            started_at = CASE WHEN pending = 0 THEN excluded.started_at ELSE started_at END,
                            queued = CASE WHEN pending = 0 THEN 1 ELSE queued + 1 END,
                            processed = CASE WHEN pending = 0 THEN 0 ELSE processed END,
                            failed = CASE WHEN pending = 0 THEN 0 ELSE failed END,
                            pending = pending + 1;
                END;
                CREATE TRIGGER onboarding_revived AFTER UPDATE OF state ON queue WHEN OLD.state = 1 AND NEW.state = 0 BEGIN
                    INSERT INTO onboardings (tenant, started_at, queued, processed, failed, pending)
                        VALUES (NEW.tenant, NEW.last_change_at, 1, 0, 0, 1)
                        ON CONFLICT (tenant) DO UPDATE SET
                            started_at = CASE WHEN pending = 0 THEN excluded.started_at ELSE started_at END,
                            queued = CASE WHEN pending = 0 THEN 1 ELSE queued + 1 END,
                            processed = CASE WHEN pending = 0 THEN 0 ELSE processed END,
                            failed = CASE WHEN pending = 0 THEN 0 ELSE failed END,
                            pending = pending + 1;
                END;
                -- A pending row done (completed, or removed with its tenant's purge).
                CREATE TRIGGER onboarding_processed AFTER DELETE ON queue WHEN OLD.state = 0 BEGIN
                    UPDATE onboardings SET processed = processed + 1, pending = max(0, pending - 1) WHERE tenant = OLD.tenant;
                END;
                -- A pending row turned into a dead letter.
                CREATE TRIGGER onboarding_failed AFTER UPDATE OF state ON queue WHEN OLD.state = 0 AND NEW.state = 1 BEGIN
                    UPDATE onboardings SET failed = failed + 1, pending = max(0, pending - 1) WHERE tenant = NEW.tenant;
                END;
                """)
        }
        migrator.registerMigration("v7: onboarding starts only") { db in
            try db.execute(sql: """
                -- v6's counters made every publish and every completion write the tenant's onboarding
                -- row: one more page in each commit's WAL, which cost about 15% of publish throughput
                -- with synchronous=FULL; and any row trigger on the queue costs about 10 µs per insert.
                -- Only the start of an onboarding is written now, by the code that queues work
                -- (EnqueueEffects), once per tenant per transaction; the counts are read from the
                -- queue and the documents.
                DROP TRIGGER onboarding_queued;
                DROP TRIGGER onboarding_revived;
                DROP TRIGGER onboarding_processed;
                DROP TRIGGER onboarding_failed;
                CREATE TABLE onboarding_starts (tenant TEXT PRIMARY KEY, started_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO onboarding_starts SELECT tenant, started_at FROM onboardings;
                DROP TABLE onboardings;
                """)
        }
        migrator.registerMigration("v8: embedding cache keys merged in order") { db in
            try db.execute(sql: """
                -- The cache's keys (model, SHA-256 of the text) are random: kept in a unique index
                -- on embeddings, every new chunk rewrote a random leaf page, about a page per chunk
                -- once the index outgrew a commit (see EmbeddingKeys). New keys now go to a small
                -- table and are merged into the large one in key order.
                CREATE TABLE embedding_keys (
                    model INTEGER NOT NULL,
                    text_hash BLOB NOT NULL,
                    embedding INTEGER NOT NULL,  -- embeddings.id
                    PRIMARY KEY (model, text_hash)
                ) WITHOUT ROWID;
                CREATE TABLE recent_embedding_keys (
                    model INTEGER NOT NULL,
                    text_hash BLOB NOT NULL,
                    embedding INTEGER NOT NULL,
                    PRIMARY KEY (model, text_hash)
                ) WITHOUT ROWID;
                INSERT INTO embedding_keys (model, text_hash, embedding)
                    SELECT model, text_hash, id FROM embeddings INDEXED BY embeddings_by_text ORDER BY model, text_hash;
                DROP INDEX embeddings_by_text;
                """)
        }
        migrator.registerMigration("v9: fair leasing across tenants") { db in
            try db.execute(sql: """
                -- Leasing goes round the tenants that have ready work (SQLiteStore.lease): the next
                -- such tenant after a cursor is one seek here, and its oldest ready rows the next.
                CREATE INDEX queue_by_tenant_readiness ON queue(state, priority, tenant, ready_at);
                """)
        }
        migrator.registerMigration("v10: scan problems") { db in
            try db.execute(sql: """
                -- What scans found wrong, per tenant ('' for the scanned root itself): replaced by each scan.
                CREATE TABLE scan_problems (
                    tenant TEXT NOT NULL,
                    message TEXT NOT NULL,
                    seen_at INTEGER NOT NULL,
                    PRIMARY KEY (tenant, message)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v11: sink extents") { db in
            try db.execute(sql: """
                -- With a remote sink: how far (one past the highest ordinal) a document's points in
                -- the sink may reach beyond what documents.chunk_count says: raised before each write
                -- (a write can fail part-way, or land without being recorded), forgotten when a
                -- confirmed write that cleared that far is recorded. Empty with the embedded index.
                CREATE TABLE sink_extents (
                    tenant TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    extent INTEGER NOT NULL,
                    PRIMARY KEY (tenant, doc_id)
                ) WITHOUT ROWID;
                -- Rewrites used to raise documents.chunk_count for this; the surplus moves here.
                INSERT INTO sink_extents (tenant, doc_id, extent)
                    SELECT d.tenant, d.doc_id, d.chunk_count FROM documents d
                    WHERE d.chunk_count > (SELECT COUNT(*) FROM chunks c WHERE c.tenant = d.tenant AND c.doc_id = d.doc_id);
                UPDATE documents SET chunk_count = (SELECT COUNT(*) FROM chunks c WHERE c.tenant = documents.tenant AND c.doc_id = documents.doc_id)
                    WHERE (tenant, doc_id) IN (SELECT tenant, doc_id FROM sink_extents);
                """)
        }
        migrator.registerMigration("v12: chunk locations") { db in
            try db.execute(sql: """
                -- Where each chunk lies: its headings, outermost first, separated by U+001F; and the
                -- pages, slides or sheets its text comes from, each `kind U+001F label`, separated by
                -- U+001E (ChunkLocation drops control characters from both). NULL: none.
                ALTER TABLE chunks ADD COLUMN heading_path TEXT;
                ALTER TABLE chunks ADD COLUMN places TEXT;
                """)
        }
        migrator.registerMigration("v13: document notes") { db in
            try db.execute(sql: """
                -- What the extractor of an indexed document left out and says so (images without
                -- text...), one note per line. NULL: nothing.
                ALTER TABLE documents ADD COLUMN notes TEXT;
                """)
        }
        migrator.registerMigration("v14: document content hashes as BLOB") { db in
            // documents.content_hash held hex text ("tombstone:" + hex for a deleted document, "" for
            // none) where files and queue hold the 32 bytes; now it holds them too (the tombstone's own
            // hash for a deleted document, NULL for none). Debian's SQLite (3.40) has no unhex().
            db.add(function: DatabaseFunction("sluice_unhex", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).flatMap { text in
                    let hex = text.hasPrefix("tombstone:") ? String(text.dropFirst("tombstone:".count)) : text
                    return ContentHash(hex: hex).map { Data($0.bytes) }
                }
            })
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN content_sha256 BLOB;
                UPDATE documents SET content_sha256 = sluice_unhex(content_hash);
                ALTER TABLE documents DROP COLUMN content_hash;
                ALTER TABLE documents RENAME COLUMN content_sha256 TO content_hash;
                """)
        }
        migrator.registerMigration("v15: search generations") { db in
            try db.execute(sql: """
                -- Raised by every transaction that changes a tenant's chunks: a process's in-memory
                -- search index of the tenant is used only while it was built at the current one.
                CREATE TABLE search_generations (
                    tenant TEXT PRIMARY KEY,
                    generation INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- The search's index of chunks also covers their documents, so building a tenant's
                -- in-memory index reads no chunk row (a lookup each made it 7 times slower).
                DROP INDEX chunks_for_search;
                CREATE INDEX chunks_for_search ON chunks(tenant, embedding, doc_id);
                """)
        }
        migrator.registerMigration("v16: embedding cache keys merged through a middle table") { db in
            try db.execute(sql: """
                -- Staged keys merged straight into embedding_keys rewrote every leaf of it each time
                -- (1.5 GB of the WAL for a million keys); they go through this table now, merged into
                -- the big one once it holds half as many keys (see EmbeddingKeys).
                CREATE TABLE newer_embedding_keys (
                    model INTEGER NOT NULL,
                    text_hash BLOB NOT NULL,
                    embedding INTEGER NOT NULL,
                    PRIMARY KEY (model, text_hash)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v17: no index of documents by status, nor of files by root") { db in
            try db.execute(sql: """
                -- Every completion wrote an entry into each, in the middle of the b-tree (they begin with
                -- the tenant, or the root and then the tenant), and no read seeks in them: counting by
                -- status reads every document of a tenant anyway, and a scan's files under a root are
                -- (nearly) all of them, read three times faster from the table than through the index.
                DROP INDEX documents_by_status;
                DROP INDEX files_by_root;
                """)
        }
        migrator.registerMigration("v18: leases per onboarding") { db in
            try db.execute(sql: """
                -- How many leases a tenant's onboarding has had (fair leasing serves tenants at 0 first,
                -- then grows a tenant's share of a batch with each lease: LeaseStarts). Onboardings under
                -- way count as served once.
                ALTER TABLE onboarding_starts ADD COLUMN batches INTEGER NOT NULL DEFAULT 0;
                UPDATE onboarding_starts SET batches = 1;
                CREATE INDEX onboarding_starts_unserved ON onboarding_starts(started_at) WHERE batches = 0;
                """)
        }
        migrator.registerMigration("v19: dead letters by time") { db in
            try db.execute(sql: """
                -- The newest dead letters (GET /v1/dead-letters, the dashboard's poll), of every tenant or
                -- one, without sorting them all: 100,000 took 100 ms a request. Only dead rows are in them.
                CREATE INDEX queue_dead_by_time ON queue(last_change_at) WHERE state = \(QueueEntry.State.dead.sql);
                CREATE INDEX queue_dead_by_tenant ON queue(tenant, last_change_at) WHERE state = \(QueueEntry.State.dead.sql);
                """)
        }
        migrator.registerMigration("v20: chunks per tenant") { db in
            try db.execute(sql: """
                -- How many chunks each tenant's documents hold (the sum of their chunk_count), kept by
                -- every completion, for the per-tenant quota (SLUICE_TENANT_MAX_CHUNKS) to read in one seek.
                CREATE TABLE tenant_chunks (
                    tenant TEXT PRIMARY KEY,
                    chunks INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO tenant_chunks (tenant, chunks)
                    SELECT tenant, SUM(chunk_count) FROM documents GROUP BY tenant HAVING SUM(chunk_count) != 0;
                """)
        }
    }
}
