import Foundation
import PostgresNIO
import SluiceCore

/// Writes to `queue` inside an open transaction, shared by every path that queues work.
extension PostgresStore {
    /// What one transaction's queue writes did beyond the rows: the earliest
    /// ready time (to wake this process's workers) and the onboardings they
    /// started (a change entering a tenant's empty backlog), checked once per
    /// tenant per transaction.
    struct EnqueueEffects: Sendable {
        private(set) var earliest: Timestamp?
        private var busyTenants: Set<String> = []

        mutating func pending(
            _ entry: QueueEntry, wasPending: Bool, at now: Timestamp, _ connection: PostgresConnection, logger: Logger
        ) async throws {
            earliest = min(earliest ?? entry.readyAt, entry.readyAt)
            let tenant = entry.key.tenant.rawValue
            guard busyTenants.insert(tenant).inserted, !wasPending else { return }
            let others = try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM queue WHERE tenant = \(tenant) AND state = \(QueueEntry.State.queued.rawValue)
                               AND doc_id <> \(entry.key.docId.rawValue))
                """, logger: logger)
            var busy = false
            for try await exists in others.decode(Bool.self) { busy = exists }
            if !busy {
                try await connection.query("""
                    INSERT INTO onboarding_starts (tenant, started_at) VALUES (\(tenant), \(now.milliseconds))
                    ON CONFLICT (tenant) DO UPDATE SET started_at = excluded.started_at
                    """, logger: logger)
            }
        }
    }

    /// Runs a transaction that queues work, then rings `readiness` with the earliest ready time it recorded.
    func enqueueing<T: Sendable>(
        _ doing: String, _ body: (PostgresConnection, Timestamp, inout EnqueueEffects) async throws -> T
    ) async throws -> T {
        let (value, effects) = try await transaction(doing) { connection in
            var effects = EnqueueEffects()
            let now = try await self.now(connection)
            let value = try await body(connection, now, &effects)
            if let earliest = effects.earliest { try await self.notify(connection, .ready(after: earliest - now)) }
            return (value, effects)
        }
        if let earliest = effects.earliest { readiness.ring(readyAt: earliest) }
        return value
    }

    /// Enqueues inside an open transaction. Documents are locked in key
    /// order, so two processes queueing overlapping batches cannot deadlock;
    /// the outcomes come back in the order of `changes`.
    func enqueue(
        _ connection: PostgresConnection, _ changes: [Change], now: Timestamp, effects: inout EnqueueEffects
    ) async throws -> [EnqueueOutcome] {
        let revisions = try await allocateRevisions(connection, count: changes.count)
        var outcomes = [EnqueueOutcome?](repeating: nil, count: changes.count)
        for index in PostgresStore.keyOrder(changes.map(\.key)) {
            outcomes[index] = try await enqueue(connection, changes[index], revision: revisions[index], now: now, effects: &effects)
        }
        return outcomes.map { $0! }
    }

    /// Enqueues one change under a revision the caller allocated. A
    /// transaction-scoped advisory lock on the document makes a first change
    /// to it wait for a concurrent one, which `FOR UPDATE` alone (no row yet) would not.
    func enqueue(
        _ connection: PostgresConnection, _ change: Change, revision: Int64, now: Timestamp, effects: inout EnqueueEffects
    ) async throws -> EnqueueOutcome {
        let pending = try await lockDocument(connection, change.key)
        return try await enqueue(connection, change, revision: revision, now: now, effects: &effects, locked: pending)
    }

    /// Enqueues one change on a document the transaction has locked
    /// (`lockDocument`), whose queue row, if any, is `pending`.
    func enqueue(
        _ connection: PostgresConnection, _ change: Change, revision: Int64, now: Timestamp, effects: inout EnqueueEffects,
        locked pending: QueueEntry?
    ) async throws -> EnqueueOutcome {
        if var entry = pending {
            let wasPending = entry.state == .queued
            entry.coalesce(change, revision: revision, now: now, settle: options.settle)
            try await entry.save(connection, logger: logger)
            try await effects.pending(entry, wasPending: wasPending, at: now, connection, logger: logger)
            return .coalesced(revision: revision)
        }
        let entry = QueueEntry(change: change, revision: revision, now: now, settle: options.settle)
        try await entry.save(connection, logger: logger)
        try await effects.pending(entry, wasPending: false, at: now, connection, logger: logger)
        return .queued(revision: revision)
    }

    /// The indices of `keys` in the order every transaction locks documents
    /// (tenant, then document id), so two transactions never wait on each other in a ring.
    static func keyOrder(_ keys: [DocumentKey]) -> [Int] {
        keys.indices.sorted { (keys[$0].tenant.rawValue, keys[$0].docId.rawValue) < (keys[$1].tenant.rawValue, keys[$1].docId.rawValue) }
    }

    /// Holds the document until the transaction ends (its queue row may not
    /// exist yet) and returns its queue row, locked, if it has one.
    func lockDocument(_ connection: PostgresConnection, _ key: DocumentKey) async throws -> QueueEntry? {
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(\(key.tenant.rawValue + "\u{1F}" + key.docId.rawValue), 0))", logger: logger)
        return try await QueueEntry.lock(connection, key, logger: logger)
    }

    /// `count` revisions from the sequence, in increasing order.
    func allocateRevisions(_ connection: PostgresConnection, count: Int) async throws -> [Int64] {
        guard count > 0 else { return [] }
        var revisions: [Int64] = []
        revisions.reserveCapacity(count)
        let rows = try await connection.query("SELECT nextval('revisions') FROM generate_series(1, \(count))", logger: logger)
        for try await revision in rows.decode(Int64.self) { revisions.append(revision) }
        return revisions.sorted()
    }
}
