import Foundation
import GRDB

/// The embedding cache's lookup from (model, SHA-256 of a chunk's text) to the
/// vector's row, kept in two tables: `embedding_keys`, large, and
/// `recent_embedding_keys`, where new keys go until there are
/// `mergeThreshold` of them and they are merged into the large one in key order.
///
/// The keys are hashes, so they are random: written straight into one big
/// index, each new chunk lands on a random 16 KiB leaf page, and once the index
/// has more leaves than a commit has chunks every commit rewrites about a page
/// per chunk (on 100,000 files, 23 GB written for a 2.6 GB store). The small
/// table takes a commit's keys on a few leaves, and a merge in key order
/// touches each leaf of the big one once.
enum EmbeddingKeys {
    /// Staged keys that trigger a merge: about 50 of the small table's leaves.
    static let mergeThreshold = 16_384

    /// The vector row for `textHash` under `model`, if cached. Bound through
    /// `RowStepper`: the single writer looks up every chunk of a completion that
    /// `EmbeddingKeyFilter` does not rule out.
    static func find(_ db: Database, model: Int64, textHash: Data) throws -> Int64? {
        let find = RowStepper(
            try db.cachedStatement(sql: """
                SELECT embedding FROM recent_embedding_keys WHERE model = ?1 AND text_hash = ?2
                UNION ALL
                SELECT embedding FROM embedding_keys WHERE model = ?1 AND text_hash = ?2
                LIMIT 1
                """), in: db)
        try find.bind(1, model)
        try find.bind(2, textHash)
        return try find.int64()
    }

    /// Records a new vector row's key (one `find` did not know).
    static func add(_ db: Database, model: Int64, textHash: Data, embedding: Int64) throws {
        let add = RowStepper(try db.cachedStatement(sql: "INSERT INTO recent_embedding_keys (model, text_hash, embedding) VALUES (?, ?, ?)"), in: db)
        try add.bind(1, model)
        try add.bind(2, textHash)
        try add.bind(3, embedding)
        try add.execute()
    }

    /// Merges the staged keys into the large table once there are enough of them
    /// (or any, with `threshold` 0), in the same transaction as the writes that staged them.
    static func mergeIfLarge(_ db: Database, threshold: Int = mergeThreshold) throws {
        let staged = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM recent_embedding_keys")) ?? 0
        guard staged > 0, staged >= threshold else { return }
        // The small table is read in key order (it is its primary key), so the inserts walk the big
        // one's leaves once. A key is staged only when neither table has it; OR IGNORE only makes
        // sure a broken invariant could never stop every completion from committing.
        try db.execute(sql: """
            INSERT OR IGNORE INTO embedding_keys (model, text_hash, embedding)
            SELECT model, text_hash, embedding FROM recent_embedding_keys ORDER BY model, text_hash;
            DELETE FROM recent_embedding_keys;
            """)
    }

    /// Removes the vector rows no chunk refers to, with their keys; returns how many.
    static func collectUnused(_ db: Database) throws -> Int {
        try mergeIfLarge(db, threshold: 0)
        // EXCEPT sorts both id lists once; both come from covering indexes.
        try db.execute(sql: """
            CREATE TEMPORARY TABLE unused_embeddings AS
                SELECT embedding AS id FROM embedding_keys
                EXCEPT SELECT embedding FROM chunks INDEXED BY chunks_for_search;
            DELETE FROM embeddings WHERE id IN (SELECT id FROM unused_embeddings);
            """)
        let removed = db.changesCount
        if removed > 0 {
            try db.execute(sql: "DELETE FROM embedding_keys WHERE embedding IN (SELECT id FROM unused_embeddings)")
        }
        try db.execute(sql: "DROP TABLE unused_embeddings")
        return removed
    }
}
