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
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection, Timestamp, inout EnqueueEffects) async throws -> T
    ) async throws -> T {
        let (value, effects, now) = try await transaction(doing) { connection in
            var effects = EnqueueEffects()
            let now = try await self.now(connection)
            let value = try await body(connection, now, &effects)
            return (value, effects, now)
        }
        if let earliest = effects.earliest {
            announce(.ready(after: earliest - now))
            readiness.ring(readyAt: earliest)
        }
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
        var writes = try await QueueWrites(locking: order.map { keys[$0] }, in: self, connection)
        var outcomes = [EnqueueOutcome?](repeating: nil, count: changes.count)
        for index in order {
            outcomes[index] = writes.apply(changes[index], revision: revisions[index], now: now, settle: options.settle)
        }
        try await writes.save(at: now, connection, effects: &effects, logger: logger)
        return outcomes.map { $0! }
    }

    /// A transaction's writes to the queue rows of the documents it locked:
    /// changes applied in key order in memory, each document's row as the
    /// last of its changes left it, saved at the end in two statements.
    struct QueueWrites {
        /// The documents' rows as read (locked), then as the changes so far leave them.
        private(set) var entries: [DocumentKey: QueueEntry]
        /// The rows to save, in key order, and whether each was pending before the transaction.
        private var written: [(key: DocumentKey, wasPending: Bool)] = []
        private var writtenKeys: Set<DocumentKey> = []

        /// Locks `keys` (in key order: `lockDocuments`) and reads their rows.
        init(locking keys: [DocumentKey], in store: PostgresStore, _ connection: PostgresConnection) async throws {
            try await store.lockDocuments(connection, keys)
            entries = try await QueueEntry.lockAll(connection, keys, logger: store.logger)
        }

        /// Applies `change` to its document's row: coalesced into the row it
        /// has, or a new one. Changes of one document apply in the order given.
        mutating func apply(_ change: Change, revision: Int64, now: Timestamp, settle: SettlePolicy) -> EnqueueOutcome {
            let key = change.key
            if writtenKeys.insert(key).inserted { written.append((key, entries[key]?.state == .queued)) }
            if var entry = entries[key] {
                entry.coalesce(change, revision: revision, now: now, settle: settle)
                entries[key] = entry
                return .coalesced(revision: revision)
            }
            entries[key] = QueueEntry(change: change, revision: revision, now: now, settle: settle)
            return .queued(revision: revision)
        }

        /// Saves the rows written, noting the work queued in `effects`.
        func save(at now: Timestamp, _ connection: PostgresConnection, effects: inout EnqueueEffects, logger: Logger) async throws {
            let rows = written.compactMap { row in entries[row.key].map { (entry: $0, wasPending: row.wasPending) } }
            try await effects.pending(rows, at: now, connection, logger: logger)
            try await QueueEntry.saveAll(rows.map(\.entry), connection, logger: logger)
        }
    }

    /// Holds each of `keys` (in key order) until the transaction ends: a first
    /// change to a document waits for a concurrent one, which `FOR UPDATE`
    /// alone (no row yet) would not make it do.
    func lockDocuments(_ connection: PostgresConnection, _ keys: [DocumentKey]) async throws {
        try await connection.run(LockDocuments(keys: keys), logger: logger)
    }

    private struct LockDocuments: PreparedStatement {
        static let sql = "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k"
        let keys: [DocumentKey]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(keys.map { $0.tenant.rawValue + "\u{1F}" + $0.docId.rawValue })
            return bindings
        }
    }

    /// The indices of `keys` in the order every transaction locks documents
    /// (tenant, then document id, by their UTF-8 bytes: PostgreSQL's `COLLATE "C"`),
    /// so two transactions never wait on each other in a ring.
    static func keyOrder(_ keys: [DocumentKey]) -> [Int] {
        // Ties (one document twice) stay in their order: its changes apply in the order given.
        keys.indices.sorted { keyPrecedes(keys[$0], keys[$1]) || (keys[$0] == keys[$1] && $0 < $1) }
    }

    static func keyPrecedes(_ a: DocumentKey, _ b: DocumentKey) -> Bool {
        if a.tenant.rawValue != b.tenant.rawValue { return a.tenant.rawValue.precedesInByteOrder(b.tenant.rawValue) }
        return a.docId.rawValue.precedesInByteOrder(b.docId.rawValue)
    }

    /// `count` revisions from the sequence, in increasing order.
    func allocateRevisions(_ connection: PostgresConnection, count: Int) async throws -> [Int64] {
        guard count > 0 else { return [] }
        var revisions: [Int64] = []
        revisions.reserveCapacity(count)
        for row in try await connection.run(AllocateRevisions(count: count), logger: logger) { revisions.append(try row.decode(Int64.self)) }
        return revisions.sorted()
    }

    private struct AllocateRevisions: PreparedStatement {
        static let sql = "SELECT nextval('revisions') FROM generate_series(1, $1::int8)"
        let count: Int

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(count)
            return bindings
        }
    }
}
