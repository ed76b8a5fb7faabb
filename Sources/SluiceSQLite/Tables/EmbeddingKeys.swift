import Foundation
import GRDB

/// The embedding cache's lookup from (model, SHA-256 of a chunk's text) to the
/// vector's row, kept in three tables, each merged into the next in key order:
/// `recent_embedding_keys`, where new keys go until there are `stagedLimit`
/// of them; `newer_embedding_keys`, which takes those until it holds half as
/// many keys as the third (`newerMinimum` at least); and `embedding_keys`.
///
/// The keys are hashes, so they are random: written straight into one big
/// index, each new chunk lands on a random 16 KiB leaf page, and once the index
/// has more leaves than a commit has chunks every commit rewrites about a page
/// per chunk (on 100,000 files, 23 GB written for a 2.6 GB store). The small
/// table takes a commit's keys on a few leaves, and a merge in key order
/// touches each leaf of the table it goes into once. Merged straight into the
/// big one, every merge rewrote all of it (1.5 GB of the WAL for a million
/// keys); through the middle table, each key is rewritten a few times (0.4 GB).
enum EmbeddingKeys {
    /// The tables, newest first: a lookup tries them in this order.
    static let tables = ["recent_embedding_keys", "newer_embedding_keys", "embedding_keys"]
    /// Staged keys that trigger a merge into the middle table: about 50 of the small table's leaves.
    static let stagedLimit = 16_384
    /// The middle table goes into the big one once it holds this many keys and half as many as the big one.
    static let newerMinimum = 131_072

    /// Each table in turn, newest first, until one has the key.
    private static let findSQL = tables.map { "SELECT embedding FROM \($0) WHERE model = ?1 AND text_hash = ?2" }
        .joined(separator: " UNION ALL ") + " LIMIT 1"
    /// New keys go into the newest table. (Both statements are built once: every chunk's key goes through them.)
    private static let addSQL = "INSERT INTO \(tables[0]) (model, text_hash, embedding) VALUES (?, ?, ?)"

    /// The vector row for `textHash` under `model`, if cached. Bound through
    /// `RowStepper`: the single writer looks up every chunk of a completion that
    /// `EmbeddingKeyFilter` does not rule out.
    static func find(_ db: Database, model: Int64, textHash: Data) throws -> Int64? {
        let find = RowStepper(try db.cachedStatement(sql: findSQL), in: db)
        try find.bind(1, model)
        try find.bind(2, textHash)
        return try find.int64()
    }

    /// Records a new vector row's key (one `find` did not know).
    static func add(_ db: Database, model: Int64, textHash: Data, embedding: Int64) throws {
        let add = RowStepper(try db.cachedStatement(sql: addSQL), in: db)
        try add.bind(1, model)
        try add.bind(2, textHash)
        try add.bind(3, embedding)
        try add.execute()
    }

    /// Merges the staged keys into the middle table once there are `staged` of
    /// them, and then the middle table into the big one once it holds `newer`
    /// keys and half as many as the big one; in the same transaction as the
    /// writes that staged them. Thresholds of 0 merge everything.
    static func mergeIfLarge(_ db: Database, staged: Int = stagedLimit, newer: Int = newerMinimum) throws {
        let recent = try count(db, tables[0])
        if recent > 0, recent >= staged {
            try merge(db, from: tables[0], into: tables[1])
        } else if newer > 0 {
            return  // the middle table grows only by a merge
        }
        let middle = try count(db, tables[1])
        guard middle > 0, middle >= newer else { return }
        if newer > 0, try middle * 2 < count(db, tables[2]) { return }
        try merge(db, from: tables[1], into: tables[2])
    }

    /// Moves every key of `source` into `target`.
    private static func merge(_ db: Database, from source: String, into target: String) throws {
        // The source is read in key order (it is its primary key), so the inserts walk the
        // target's leaves once. A key is staged only when no table has it; OR IGNORE only makes
        // sure a broken invariant could never stop every completion from committing.
        try db.execute(sql: """
            INSERT OR IGNORE INTO \(target) (model, text_hash, embedding)
            SELECT model, text_hash, embedding FROM \(source) ORDER BY model, text_hash;
            DELETE FROM \(source);
            """)
    }

    private static func count(_ db: Database, _ table: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM \(table)")) ?? 0
    }

    /// Removes the vector rows no chunk refers to, with their keys; returns how many.
    ///
    /// Which rows chunks use is a bit per row id (ids are the rowids of
    /// `embeddings`, dense: 128 KiB per million), filled by one pass over an
    /// index of the chunks; the keys, which name every row, are then read once.
    /// (An `EXCEPT` of the two id lists sorted both: a second on a million
    /// chunks, at the end of every onboarding, for nothing.)
    static func collectUnused(_ db: Database) throws -> Int {
        guard let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM embeddings"), highest > 0 else { return 0 }
        var used = [UInt64](repeating: 0, count: Int(highest / 64) + 1)
        let chunks = RowStepper(try db.makeStatement(sql: "SELECT embedding FROM chunks INDEXED BY chunks_for_search"), in: db)
        _ = try chunks.rows { columns in
            let id = columns.int64(0)
            if id > 0, id <= highest { used[Int(id >> 6)] |= 1 << UInt64(id & 63) }
        }
        var unused: [Int64] = []
        for table in tables {
            let keys = RowStepper(try db.makeStatement(sql: "SELECT embedding FROM \(table)"), in: db)
            _ = try keys.rows { columns in
                let id = columns.int64(0)
                if id <= 0 || id > highest || used[Int(id >> 6)] & (1 << UInt64(id & 63)) == 0 { unused.append(id) }
            }
        }
        guard !unused.isEmpty else { return 0 }
        try db.execute(sql: "CREATE TEMPORARY TABLE unused_embeddings (id INTEGER PRIMARY KEY)")
        let add = RowStepper(try db.makeStatement(sql: "INSERT OR IGNORE INTO unused_embeddings (id) VALUES (?)"), in: db)
        for id in unused {
            try add.bind(1, id)
            try add.execute()
        }
        try db.execute(sql: "DELETE FROM embeddings WHERE id IN (SELECT id FROM unused_embeddings)")
        let removed = db.changesCount
        for table in tables {
            try db.execute(sql: "DELETE FROM \(table) WHERE embedding IN (SELECT id FROM unused_embeddings)")
        }
        try db.execute(sql: "DROP TABLE unused_embeddings")
        return removed
    }
}
