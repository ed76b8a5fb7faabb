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
    /// each per round). Rows another transaction holds are skipped, not
    /// waited for (`SKIP LOCKED`), so processes leasing at once share the
    /// work instead of queueing behind each other.
    public func lease(limit: Int, duration: Duration) async throws -> [Lease] {
        guard limit > 0 else { return [] }
        let quantum = TenantRounds.quantum(for: limit)
        return try await transaction("leasing documents") { connection in
            let now = try await self.now(connection)
            var leases: [Lease] = []
            for priority in Priority.allCases.sorted(by: >) where leases.count < limit {
                var rounds = TenantRounds(from: self.leaseCursors.withLock { $0[priority] } ?? "")
                walk: while leases.count < limit {
                    let tenant: String
                    switch rounds.step(next: try await self.nextTenant(connection, priority: priority, after: rounds.cursor)) {
                    case .stop: break walk
                    case .wrap: continue walk
                    case .lease(let next): tenant = next
                    }
                    let rows = try await connection.query("""
                        SELECT \(unescaped: QueueEntry.postgresColumns) FROM queue
                        WHERE state = \(QueueEntry.State.queued.rawValue) AND priority = \(priority.rawValue) AND tenant = \(tenant)
                          AND ready_at <= \(now.milliseconds) AND (lease_token IS NULL OR lease_expires_at <= \(now.milliseconds))
                        ORDER BY ready_at LIMIT \(min(quantum, limit - leases.count))
                        FOR UPDATE SKIP LOCKED
                        """, logger: self.logger)
                    var entries: [QueueEntry] = []
                    for try await row in rows { entries.append(try QueueEntry(postgres: row)) }
                    for index in entries.indices {
                        let token = self.newToken()
                        if entries[index].lease(token: token, now: now, duration: duration) == .leased {
                            leases.append(entries[index].lease(token: token))
                            rounds.leased(1)
                        }
                    }
                    // Saved before the walk goes on: this transaction's own locks do not hide the rows from its next select.
                    try await QueueEntry.saveAll(entries, connection, logger: self.logger)
                }
                self.leaseCursors.withLock { $0[priority] = rounds.cursor }
            }
            return leases
        }
    }

    /// The next tenant after `cursor` with queued rows of `priority`.
    private func nextTenant(_ connection: PostgresConnection, priority: Priority, after cursor: String) async throws -> String? {
        let rows = try await connection.query("""
            SELECT tenant FROM queue WHERE state = \(QueueEntry.State.queued.rawValue) AND priority = \(priority.rawValue)
              AND tenant > \(cursor) ORDER BY tenant LIMIT 1
            """, logger: logger)
        return try await rows.firstRow()?.decode(String.self)
    }

    /// A lease token naming this store's owner, so a restarted process can
    /// find the leases its predecessor left without touching other processes'.
    func newToken() -> String { "\(options.owner)/\(UUID().uuidString)" }

    public func renew(_ leases: [Lease], duration: Duration) async throws -> Set<String> {
        guard !leases.isEmpty else { return [] }
        return try await transaction("renewing leases") { connection in
            let now = try await self.now(connection)
            var entries = try await QueueEntry.lockAll(connection, leases.map(\.key), logger: self.logger)
            var lost = Set<String>()
            var renewed: [DocumentKey] = []
            for lease in leases {
                guard var entry = entries[lease.key], entry.renew(token: lease.token, now: now, duration: duration) else {
                    lost.insert(lease.token)
                    continue
                }
                entries[lease.key] = entry
                renewed.append(lease.key)
            }
            try await QueueEntry.saveAll(renewed.compactMap { entries[$0] }, connection, logger: self.logger)
            return lost
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
