import Foundation
import GRDB
import SluiceCore

/// Writes to `queue` inside an open transaction, shared by every path that queues work.
extension SQLiteStore {
    /// Runs a write that queues work (recording the onboardings it starts in
    /// the same transaction), then rings `readiness` with the earliest ready
    /// time the write recorded in its `EnqueueEffects`.
    func enqueueing<T: Sendable>(_ doing: String, _ body: @Sendable @escaping (Database, inout EnqueueEffects) throws -> T) async throws -> T {
        let (value, effects) = try await write(doing) { db in
            var effects = EnqueueEffects()
            let value = try body(db, &effects)
            return (value, effects)
        }
        if let earliest = effects.earliest { readiness.ring(readyAt: earliest) }
        return value
    }

    /// Enqueues inside an open transaction, so callers can join it with other writes.
    static func enqueue(
        _ db: Database, _ changes: [Change], now: Timestamp, settle: SettlePolicy, effects: inout EnqueueEffects
    ) throws -> [EnqueueOutcome] {
        var revision = try allocateRevisions(db, count: changes.count)
        let rows = try QueueRows(db)
        var outcomes: [EnqueueOutcome] = []
        outcomes.reserveCapacity(changes.count)
        for change in changes {
            outcomes.append(
                try enqueue(rows, change, pending: rows.fetch(change.key), revision: revision, now: now, settle: settle, effects: &effects))
            revision += 1
        }
        return outcomes
    }

    /// Enqueues one change whose queue row the caller has read (`pending`, nil
    /// when there is none), under a revision the caller allocated.
    static func enqueue(
        _ rows: QueueRows, _ change: Change, pending: QueueEntry?, revision: Int64, now: Timestamp, settle: SettlePolicy,
        effects: inout EnqueueEffects
    ) throws -> EnqueueOutcome {
        if var entry = pending {
            let wasPending = entry.state == .queued
            entry.coalesce(change, revision: revision, now: now, settle: settle)
            try rows.save(entry)
            try effects.pending(entry, wasPending: wasPending, at: now, rows.db)
            return .coalesced(revision: revision)
        }
        let entry = QueueEntry(change: change, revision: revision, now: now, settle: settle)
        try rows.save(entry)
        try effects.pending(entry, wasPending: false, at: now, rows.db)
        return .queued(revision: revision)
    }

    /// Allocates `count` revisions from the monotonic counter; returns the first.
    static func allocateRevisions(_ db: Database, count: Int) throws -> Int64 {
        let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'revision'")) ?? 0
        try db.cachedStatement(
            sql: "INSERT INTO meta(key, value) VALUES ('revision', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ).execute(arguments: [String(current + Int64(count))])
        return current + 1
    }

    static func deadEntries(_ db: Database, tenant: TenantID?, key: DocumentKey?) throws -> [QueueEntry] {
        let select = RowStepper(
            try db.cachedStatement(sql: """
                SELECT \(QueueEntry.columns) FROM queue WHERE state = \(QueueEntry.State.dead.sql) AND (?1 IS NULL OR tenant = ?1)
                  AND (?3 IS NULL OR (tenant = ?2 AND doc_id = ?3))
                """), in: db)
        try select.bind(1, tenant?.rawValue)
        try select.bind(2, key?.tenant.rawValue)
        try select.bind(3, key?.docId.rawValue)
        return try QueueEntry.fetchAll(select)
    }
}

/// The queue's rows as one write transaction reads and writes many of them
/// (a scan's changes, a lease, a group of completions or publications): both statements
/// looked up in GRDB's cache once. A lookup hashes the whole SQL, and the
/// upsert's is some 900 characters: 5% of the single writer's time in a
/// batch of 500 publications.
struct QueueRows {
    let db: Database
    private let selectByKey: Statement
    private let upsert: Statement

    init(_ db: Database) throws {
        self.db = db
        selectByKey = try db.cachedStatement(sql: QueueEntry.selectByKeySQL)
        upsert = try db.cachedStatement(sql: QueueEntry.upsertSQL)
    }

    func fetch(_ key: DocumentKey) throws -> QueueEntry? {
        try QueueEntry.fetch(key, with: selectByKey, in: db)
    }

    func save(_ entry: QueueEntry) throws {
        try entry.save(with: upsert, in: db)
    }
}
