import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: JobQueue {
    @discardableResult
    public func enqueue(_ changes: [Change]) async throws -> [EnqueueOutcome] {
        guard !changes.isEmpty else { return [] }
        return try await enqueueing("enqueueing \(changes.count) changes") { connection, now, effects in
            try await self.enqueue(connection, changes, now: now, effects: &effects)
        }
    }

    /// Leases ready rows, highest priority first and, within a priority,
    /// fairly across tenants (round the tenants with queued rows from where
    /// this process's last lease stopped, at most a quarter of the batch from
    /// each per round: `TenantRounds`, `fixedQuantum`: a share that does not
    /// grow as SQLite's does). Rows another transaction holds are skipped,
    /// not waited for (`SKIP LOCKED`), so processes leasing at once share the
    /// work instead of queueing behind each other.
    ///
    /// The walk goes by as many tenants at once as could fill the batch: one
    /// statement finds them, one takes up to a quantum of each one's oldest
    /// ready rows, one saves what was leased. A batch of 10 over 5 tenants
    /// took 15 statements a tenant at a time.
    public func lease(limit: Int, duration: Duration) async throws -> [Lease] {
        guard limit > 0 else { return [] }
        let quantum = TenantRounds.fixedQuantum(for: limit)
        return try await transaction("leasing documents") { connection in
            // The transaction's time, as the first rows found read it.
            var now: Timestamp?
            var leases: [Lease] = []
            for priority in Priority.allCases.sorted(by: >) where leases.count < limit {
                var rounds = TenantRounds(from: self.leaseCursors.withLock { $0[priority] } ?? "")
                walk: while leases.count < limit {
                    let wanted = (limit - leases.count + quantum - 1) / quantum
                    let tenants = try await self.nextTenants(connection, priority: priority, after: rounds.cursor, count: wanted)
                    let (rows, time) = try await self.readyRows(connection, priority: priority, of: tenants, quantum: quantum, now: now)
                    now = now ?? time
                    // Every row the walk took: leased, or dead-lettered by its lease expiries.
                    var taken: [QueueEntry] = []
                    var ended = false
                    // The walk as if a tenant at a time: it may end (a round leased nothing) partway.
                    for tenant in tenants.map(Optional.some) + (tenants.count < wanted ? [nil] : []) {
                        switch rounds.step(next: tenant) {
                        case .stop: ended = true
                        case .wrap: break
                        case .lease(let next):
                            var count = 0
                            // Rows found carry the transaction's time (`now` is set once any are).
                            if let now, let found = rows[next] {
                                for var entry in found where leases.count < limit {
                                    let token = self.leaseTokens.next()
                                    let outcome = entry.lease(token: token, now: now, duration: duration)
                                    taken.append(entry)
                                    guard outcome == .leased else { continue }
                                    leases.append(entry.lease(token: token))
                                    count += 1
                                }
                            }
                            rounds.leased(count)
                        }
                        if ended || leases.count >= limit { break }
                    }
                    // Saved before the walk goes on: this transaction's own locks do not hide the rows from its next select.
                    try await QueueEntry.saveAll(taken, connection, logger: self.logger)
                    if ended { break walk }
                }
                self.leaseCursors.withLock { $0[priority] = rounds.cursor }
            }
            return leases
        }
    }

    /// Up to `count` tenants after `cursor` (in byte order) with queued rows of
    /// `priority`: one index probe each (a loose index scan), not a scan of their rows.
    private func nextTenants(_ connection: PostgresConnection, priority: Priority, after cursor: String, count: Int) async throws -> [String] {
        try await connection.run(NextTenants(priority: priority.rawValue, cursor: cursor, count: count), logger: logger)
            .map { try $0.decode(String.self) }
    }

    private struct NextTenants: PreparedStatement {
        static let sql = """
            WITH RECURSIVE next(tenant) AS (
                (SELECT tenant COLLATE "C" FROM queue WHERE state = \(QueueEntry.State.queued.rawValue) AND priority = $1::int8
                   AND tenant COLLATE "C" > $2::text ORDER BY tenant COLLATE "C" LIMIT 1)
                UNION ALL
                SELECT (SELECT q.tenant COLLATE "C" FROM queue q WHERE q.state = \(QueueEntry.State.queued.rawValue) AND q.priority = $1::int8
                          AND q.tenant COLLATE "C" > next.tenant ORDER BY q.tenant COLLATE "C" LIMIT 1)
                FROM next WHERE next.tenant IS NOT NULL
            )
            SELECT tenant FROM next WHERE tenant IS NOT NULL LIMIT $3::int8
            """
        let priority: Int
        let cursor: String
        let count: Int

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(priority)
            bindings.append(cursor)
            bindings.append(count)
            return bindings
        }
    }

    /// Up to `quantum` of the oldest ready rows of each of `tenants`, locked,
    /// skipping rows another transaction holds, and the time they were ready
    /// by: `now`, or the transaction's (the clock's, in tests) when nil; nil
    /// when no row was found.
    private func readyRows(
        _ connection: PostgresConnection, priority: Priority, of tenants: [String], quantum: Int, now: Timestamp?
    ) async throws -> (rows: [String: [QueueEntry]], now: Timestamp?) {
        guard !tenants.isEmpty else { return ([:], nil) }
        let rows = try await connection.run(
            ReadyRows(tenants: tenants, priority: priority.rawValue, now: (now ?? clock?.now())?.milliseconds, quantum: quantum), logger: logger)
        var byTenant: [String: [QueueEntry]] = [:]
        var time: Timestamp?
        for row in rows {
            let entry = try QueueEntry(postgres: row)
            byTenant[entry.key.tenant.rawValue, default: []].append(entry)
            time = Timestamp(milliseconds: try row.makeRandomAccess()["transaction_time"].decode(Int64.self))
        }
        return (byTenant, time)
    }

    private struct ReadyRows: PreparedStatement {
        static let sql = """
            WITH c AS (SELECT coalesce($3::int8, \(PostgresStore.transactionTimeSQL)) AS now)
            SELECT q.*, c.now AS transaction_time FROM c, unnest($1::text[]) WITH ORDINALITY AS t(tenant, place)
            CROSS JOIN LATERAL (
                SELECT \(QueueEntry.postgresColumns) FROM queue
                WHERE state = \(QueueEntry.State.queued.rawValue) AND priority = $2::int8 AND tenant COLLATE "C" = t.tenant
                  AND ready_at <= c.now AND (lease_token IS NULL OR lease_expires_at <= c.now)
                ORDER BY ready_at LIMIT $4::int8
                FOR UPDATE SKIP LOCKED
            ) q
            ORDER BY t.place, q.ready_at
            """
        let tenants: [String]
        let priority: Int
        let now: Int64?
        let quantum: Int

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(tenants)
            bindings.append(priority)
            bindings.append(now)
            bindings.append(quantum)
            return bindings
        }
    }

    /// Extends the leases that still hold (their token on the row, not yet
    /// expired by the database's clock) in one statement, the rows locked in
    /// key order as every transaction locks them; the rest are lost. As
    /// `QueueEntry.renew`, in SQL: a worker renews before every sink write and
    /// from its heartbeat, and a transaction of its own took five round trips.
    public func renew(_ leases: [Lease], duration: Duration) async throws -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let statement = RenewLeases(leases: leases, milliseconds: duration.milliseconds, now: clock?.now().milliseconds)
        let renewed = try await reading("renewing leases") { connection in
            Set(try await connection.run(statement, logger: self.logger).map { try $0.decode(String.self) })
        }
        return Set(leases.map(\.token)).subtracting(renewed)
    }

    private struct RenewLeases: PreparedStatement {
        static let sql = """
            WITH t AS (SELECT coalesce($5::int8, (extract(epoch FROM now()) * 1000)::int8) AS now),
            held AS (
                SELECT q.tenant, q.doc_id FROM queue q
                JOIN unnest($1::text[], $2::text[], $3::text[]) AS l(tenant, doc_id, token)
                  ON q.tenant = l.tenant AND q.doc_id = l.doc_id AND q.lease_token = l.token
                WHERE q.lease_expires_at > (SELECT now FROM t)
                ORDER BY q.tenant COLLATE "C", q.doc_id COLLATE "C"
                FOR UPDATE OF q
            )
            UPDATE queue q SET lease_expires_at = (SELECT now FROM t) + $4::int8
            FROM held WHERE q.tenant = held.tenant AND q.doc_id = held.doc_id
            RETURNING q.lease_token
            """
        let leases: [Lease]
        let milliseconds: Int64
        let now: Int64?

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(keys: leases.map(\.key))
            bindings.append(leases.map(\.token))
            bindings.append(milliseconds)
            bindings.append(now)
            return bindings
        }
    }

    public func fail(_ lease: Lease, error: SluiceError) async throws -> FailureOutcome {
        let policy = options.retry
        return try await transaction("recording a failure of \(lease.key)") { connection in
            let now = try await self.now(connection)
            guard var entry = try await QueueEntry.lock(connection, lease.key, logger: self.logger) else { return .leaseLost }
            var generator = SystemRandomNumberGenerator()
            let effect = entry.fail(
                token: lease.token, reason: error.message, retryable: error.isRetryable, now: now,
                policy: policy, notBefore: error.retryAfter, using: &generator)
            switch effect {
            case .rejected:
                return .leaseLost
            case .superseded:
                try await entry.save(connection, logger: self.logger)
                return .superseded
            case .retryAt(let time):
                try await entry.save(connection, logger: self.logger)
                return .willRetry(at: time)
            case .deadLettered:
                try await entry.save(connection, logger: self.logger)
                return .deadLettered
            }
        }
    }

    public func postpone(_ lease: Lease, until time: Timestamp) async throws {
        try await transaction("postponing \(lease.key)") { connection in
            let now = try await self.now(connection)
            guard var entry = try await QueueEntry.lock(connection, lease.key, logger: self.logger),
                entry.postpone(token: lease.token, until: time, now: now)
            else { return }
            try await entry.save(connection, logger: self.logger)
        }
        readiness.ring(readyAt: time)
    }

    public func release(_ leases: [Lease]) async throws {
        guard !leases.isEmpty else { return }
        try await transaction("releasing leases") { connection in
            for lease in PostgresStore.keyOrder(leases.map(\.key)).map({ leases[$0] }) {
                guard var entry = try await QueueEntry.lock(connection, lease.key, logger: self.logger),
                    entry.release(token: lease.token)
                else { continue }
                try await entry.save(connection, logger: self.logger)
            }
        }
        readiness.ring()
    }

    /// Drops the leases an earlier process of the same owner (this host and
    /// data directory, `Options.owner`) left; other processes' leases are
    /// theirs, live or not (theirs expire and are rescued by whoever leases
    /// next).
    @discardableResult
    public func releaseAbandonedLeases(blaming blamed: Set<String>) async throws -> Int {
        let count = try await transaction("releasing abandoned leases") { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: QueueEntry.postgresColumns) FROM queue
                WHERE lease_token IS NOT NULL AND starts_with(lease_token, \(self.options.owner + "/"))
                FOR UPDATE
                """, logger: self.logger)
            var entries: [QueueEntry] = []
            for try await row in rows { entries.append(try QueueEntry(postgres: row)) }
            for var entry in entries {
                if let token = entry.hold?.token, !blamed.contains(token) {
                    _ = entry.release(token: token)
                } else {
                    entry.expireHold()
                }
                try await entry.save(connection, logger: self.logger)
            }
            return entries.count
        }
        if count > 0 { readiness.ring() }
        return count
    }

    public func entry(_ key: DocumentKey) async throws -> QueueEntry? {
        try await reading("reading the queue row of \(key)") { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: QueueEntry.postgresColumns) FROM queue
                WHERE tenant = \(key.tenant.rawValue) AND doc_id = \(key.docId.rawValue)
                """, logger: self.logger)
            return try await rows.firstRow().map(QueueEntry.init(postgres:))
        }
    }

    public func nextWakeTime() async throws -> Timestamp? {
        try await reading("reading the queue") { connection in
            let rows = try await connection.query("""
                SELECT min(CASE WHEN lease_token IS NULL THEN ready_at ELSE lease_expires_at END) FROM queue
                WHERE state = \(QueueEntry.State.queued.rawValue)
                """, logger: self.logger)
            return try await rows.firstRow()?.decode(Int64?.self).map { Timestamp(milliseconds: $0) }
        }
    }

    public func depth() async throws -> QueueDepth {
        try await reading("reading the queue depth") { connection in
            let now = try await self.now(connection)
            let queued = QueueEntry.State.queued.rawValue
            let rows = try await connection.query("""
                SELECT priority,
                       count(*) FILTER (WHERE state = \(QueueEntry.State.dead.rawValue)),
                       count(*) FILTER (WHERE state = \(queued) AND lease_token IS NOT NULL AND lease_expires_at > \(now.milliseconds)),
                       count(*) FILTER (WHERE state = \(queued) AND (lease_token IS NULL OR lease_expires_at <= \(now.milliseconds))
                                        AND ready_at <= \(now.milliseconds)),
                       count(*) FILTER (WHERE state = \(queued) AND (lease_token IS NULL OR lease_expires_at <= \(now.milliseconds))
                                        AND ready_at > \(now.milliseconds))
                FROM queue GROUP BY priority
                """, logger: self.logger)
            var depth = QueueDepth()
            for try await (priority, dead, leased, ready, delayed) in rows.decode((Int, Int, Int, Int, Int).self) {
                if ready > 0 { depth.ready[Priority(rawValue: priority) ?? .low, default: 0] += ready }
                depth.delayed += delayed
                depth.leased += leased
                depth.dead += dead
            }
            return depth
        }
    }
}
