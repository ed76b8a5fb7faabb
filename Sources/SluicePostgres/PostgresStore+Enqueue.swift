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

        /// `pending` for many rows at once, before they are saved: tenants with
        /// nothing queued yet start an onboarding. Two statements, whatever the count.
        mutating func pending(
            _ entries: [(entry: QueueEntry, wasPending: Bool)], at now: Timestamp, _ connection: PostgresConnection, logger: Logger
        ) async throws {
            var candidates: [String] = []
            for (entry, wasPending) in entries {
                earliest = min(earliest ?? entry.readyAt, entry.readyAt)
                let tenant = entry.key.tenant.rawValue
                if busyTenants.insert(tenant).inserted, !wasPending { candidates.append(tenant) }
            }
            guard !candidates.isEmpty else { return }
            let rows = try await connection.query("""
                SELECT DISTINCT tenant FROM queue WHERE tenant = ANY(\(candidates)::text[]) AND state = \(QueueEntry.State.queued.rawValue)
                """, logger: logger)
            var busy = Set<String>()
            for try await tenant in rows.decode(String.self) { busy.insert(tenant) }
            let starting = candidates.filter { !busy.contains($0) }
            guard !starting.isEmpty else { return }
            try await connection.query("""
                INSERT INTO onboarding_starts (tenant, started_at) SELECT tenant, \(now.milliseconds) FROM unnest(\(starting)::text[]) AS t(tenant)
                ON CONFLICT (tenant) DO UPDATE SET started_at = excluded.started_at
                """, logger: logger)
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
        guard !changes.isEmpty else { return [] }
        let revisions = try await allocateRevisions(connection, count: changes.count)
        let keys = changes.map(\.key)
        let order = PostgresStore.keyOrder(keys)
        try await lockDocuments(connection, order.map { keys[$0] })
        var entries = try await QueueEntry.lockAll(connection, keys, logger: logger)
        var outcomes = [EnqueueOutcome?](repeating: nil, count: changes.count)
        // Each document once, as its last change left it, and whether it was pending before this batch.
        var written: [DocumentKey: (entry: QueueEntry, wasPending: Bool)] = [:]
        for index in order {
            let change = changes[index]
            if var entry = entries[change.key] {
                let wasPending = written[change.key]?.wasPending ?? (entry.state == .queued)
                entry.coalesce(change, revision: revisions[index], now: now, settle: options.settle)
                entries[change.key] = entry
                written[change.key] = (entry, wasPending)
                outcomes[index] = .coalesced(revision: revisions[index])
            } else {
                let entry = QueueEntry(change: change, revision: revisions[index], now: now, settle: options.settle)
                entries[change.key] = entry
                written[change.key] = (entry, false)
                outcomes[index] = .queued(revision: revisions[index])
            }
        }
        let rows = order.compactMap { index -> (entry: QueueEntry, wasPending: Bool)? in
            // The last of a document's changes in key order carries its final row.
            let key = keys[index]
            guard let row = written[key] else { return nil }
            written[key] = nil
            return row
        }
        try await effects.pending(rows, at: now, connection, logger: logger)
        try await QueueEntry.saveAll(rows.map(\.entry), connection, logger: logger)
        return outcomes.map { $0! }
    }

    /// Holds each of `keys` (in key order) until the transaction ends: a first
    /// change to a document waits for a concurrent one, which `FOR UPDATE`
    /// alone (no row yet) would not make it do.
    func lockDocuments(_ connection: PostgresConnection, _ keys: [DocumentKey]) async throws {
        try await connection.query("""
            SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(\(keys.map { $0.tenant.rawValue + "\u{1F}" + $0.docId.rawValue })::text[]) AS k
            """, logger: logger)
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
    /// (tenant, then document id, by their UTF-8 bytes: PostgreSQL's `COLLATE "C"`),
    /// so two transactions never wait on each other in a ring.
    static func keyOrder(_ keys: [DocumentKey]) -> [Int] {
        // Ties (one document twice) stay in their order: its changes apply in the order given.
        keys.indices.sorted { keyPrecedes(keys[$0], keys[$1]) || (keys[$0] == keys[$1] && $0 < $1) }
    }

    static func keyPrecedes(_ a: DocumentKey, _ b: DocumentKey) -> Bool {
        if a.tenant.rawValue != b.tenant.rawValue { return a.tenant.rawValue.utf8.lexicographicallyPrecedes(b.tenant.rawValue.utf8) }
        return a.docId.rawValue.utf8.lexicographicallyPrecedes(b.docId.rawValue.utf8)
    }

    /// Holds the document until the transaction ends (its queue row may not
    /// exist yet) and returns its queue row, locked, if it has one.
    func lockDocument(_ connection: PostgresConnection, _ key: DocumentKey) async throws -> QueueEntry? {
        try await lockDocuments(connection, [key])
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
