import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: JobQueue {
    @discardableResult
    public func enqueue(_ changes: [Change]) async throws -> [EnqueueOutcome] {
        guard !changes.isEmpty else { return [] }
        let now = clock.now()
        let settle = options.settle
        return try await enqueueing("enqueueing \(changes.count) changes") { db, effects in
            try SQLiteStore.enqueue(db, changes, now: now, settle: settle, effects: &effects)
        }
    }

    /// Leases ready rows, highest priority first and, within a priority,
    /// fairly across tenants: first from tenants whose onboarding has had no
    /// lease yet, oldest onboarding first; then round the tenants with ready
    /// work from where the last lease stopped, taking at most a quantum from
    /// each per round (`TenantRounds.quantum`: an eighth of the batch at
    /// first, growing with each lease the tenant has had). So a tenant with
    /// 100,000 queued documents never holds back another's ten.
    public func lease(limit: Int, duration: Duration) async throws -> [Lease] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        return try await write("leasing documents", recordsProgress: true) { db in
            // The next tenant after a cursor with queued rows of a priority: one seek.
            let nextTenant = try db.cachedStatement(sql: """
                SELECT tenant FROM queue INDEXED BY queue_by_tenant_readiness
                WHERE state = \(QueueEntry.State.queued.sql) AND priority = :priority AND tenant > :after
                ORDER BY tenant LIMIT 1
                """)
            // That tenant's oldest ready rows: a seek, then past its leased rows only.
            let readyRows = try db.cachedStatement(sql: """
                SELECT \(QueueEntry.columns) FROM queue INDEXED BY queue_by_tenant_readiness
                WHERE state = \(QueueEntry.State.queued.sql) AND priority = ?1 AND tenant = ?2 AND ready_at <= ?3
                  AND (lease_token IS NULL OR lease_expires_at <= ?3)
                ORDER BY ready_at
                LIMIT ?4
                """)
            let starts = LeaseStarts(db)
            let rows = try QueueRows(db)
            var leases: [Lease] = []
            // The tenants this lease took rows from.
            var leasedFrom: Set<String> = []
            /// Leases up to its share of `tenant`'s ready rows of `priority`, the tenant having had `batches`
            /// leases in its onboarding; how many it leased.
            func lease(_ tenant: String, _ priority: Priority, batches: Int, upTo room: Int = limit) throws -> Int {
                let select = RowStepper(readyRows, in: db)
                try select.bind(1, priority.rawValue)
                try select.bind(2, tenant)
                try select.bind(3, now.milliseconds)
                try select.bind(4, min(TenantRounds.quantum(for: limit, batches: batches), room - leases.count))
                var count = 0
                // All read before any is written: the writes move rows in the index read.
                for var entry in try QueueEntry.fetchAll(select) {
                    let token = self.leaseTokens.next()
                    let outcome = entry.lease(token: token, now: now, duration: duration)
                    try rows.save(entry)
                    if outcome == .leased {
                        leases.append(entry.lease(token: token))
                        count += 1
                    }
                }
                if count > 0 {
                    leasedFrom.insert(tenant)
                    if TenantRounds.counts(batches, for: limit) { try starts.served(tenant) }
                }
                return count
            }
            // Newcomers take all but a first share of the batch at most: the walk still goes on by at least
            // that much in every lease, so a stream of newcomers cannot hold back the tenants already served.
            let newcomersRoom = limit - TenantRounds.quantum(for: limit)
            // Read once: a newcomer served at one priority is served at the next.
            let newcomers = try starts.unserved(count: limit)
            // Newcomers that had nothing ready at a priority.
            var unready: Set<String> = []
            for priority in Priority.allCases.sorted(by: >) where leases.count < limit {
                for tenant in newcomers where leases.count < newcomersRoom && !leasedFrom.contains(tenant) {
                    if try lease(tenant, priority, batches: 0, upTo: newcomersRoom) == 0 { unready.insert(tenant) }
                }
                var rounds = TenantRounds(from: self.leaseCursors.withLock { $0[priority] } ?? "")
                walk: while leases.count < limit {
                    let next = try String.fetchOne(nextTenant, arguments: ["priority": priority.rawValue, "after": rounds.cursor])
                    switch rounds.step(next: next) {
                    case .stop: break walk
                    case .wrap: continue walk
                    case .lease(let tenant):
                        rounds.leased(try lease(tenant, priority, batches: try starts.batches(tenant)))
                    }
                }
                self.leaseCursors.withLock { $0[priority] = rounds.cursor }
            }
            // Once, after every priority: a newcomer with nothing queued at all stops being looked at first.
            for tenant in unready.subtracting(leasedFrom) { try starts.forgetIfIdle(tenant) }
            return leases
        }
    }

    public func renew(_ leases: [Lease], duration: Duration) async throws -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let now = clock.now()
        return try await write("renewing leases", recordsProgress: true) { db in
            var lost = Set<String>()
            for lease in leases {
                guard var entry = try QueueEntry.fetch(db, lease.key),
                    entry.renew(token: lease.token, now: now, duration: duration)
                else {
                    lost.insert(lease.token)
                    continue
                }
                try entry.save(db)
            }
            return lost
        }
    }

    public func complete(_ completions: [Completion]) async throws -> [CompletionOutcome] {
        guard !completions.isEmpty else { return [] }
        let prepared = completions.map(PreparedCompletion.init)
        let outcomes = try await completionCommit.submit(prepared, write: applyCompletions)
        self.completions.ring()
        return outcomes
    }

    /// Applies the completions of several workers in one transaction (see `GroupCommit`).
    func applyCompletions(_ groups: [[PreparedCompletion]]) async throws -> [[CompletionOutcome]] {
        let now = clock.now()
        let count = groups.reduce(0) { $0 + $1.count }
        let (cache, keys) = (searchCache, keyFilter)
        let (outcomes, changes) = try await write("completing \(count) documents", recordsProgress: true) { db in
            try keys.prepare(db)
            var index = try IndexWriter(db: db, now: now, keys: keys)
            let outcomes = try groups.map { completions in try completions.map { try index.apply($0) } }
            if index.stagedKeys { try EmbeddingKeys.mergeIfLarge(db) }
            try index.raiseSearchGenerations()
            try index.recordTenantChunks()
            return (outcomes, try index.searchChanges(keys: cache.keys(of:)))
        }
        // Committed: the search indexes this process keeps get the change.
        cache.apply(changes)
        return outcomes
    }

    public func fail(_ lease: Lease, error: SluiceError) async throws -> FailureOutcome {
        let now = clock.now()
        let policy = options.retry
        return try await write("recording a failure of \(lease.key)") { db in
            guard var entry = try QueueEntry.fetch(db, lease.key) else { return .leaseLost }
            var generator = SystemRandomNumberGenerator()
            let effect = entry.fail(
                token: lease.token, reason: error.message, retryable: error.isRetryable, now: now,
                policy: policy, notBefore: error.retryAfter, using: &generator)
            switch effect {
            case .rejected:
                return .leaseLost
            case .superseded:
                try entry.save(db)
                return .superseded
            case .retryAt(let time):
                try entry.save(db)
                return .willRetry(at: time)
            case .deadLettered:
                try entry.save(db)
                return .deadLettered
            }
        }
    }

    public func postpone(_ lease: Lease, until time: Timestamp) async throws {
        let now = clock.now()
        try await write("postponing \(lease.key)", recordsProgress: true) { db in
            guard var entry = try QueueEntry.fetch(db, lease.key), entry.postpone(token: lease.token, until: time, now: now) else {
                return
            }
            try entry.save(db)
        }
    }

    public func release(_ leases: [Lease]) async throws {
        guard !leases.isEmpty else { return }
        try await write("releasing leases", recordsProgress: true) { db in
            for lease in leases {
                guard var entry = try QueueEntry.fetch(db, lease.key), entry.release(token: lease.token) else { continue }
                try entry.save(db)
            }
        }
    }

    @discardableResult
    public func releaseAbandonedLeases(blaming blamed: Set<String>) async throws -> Int {
        // Synced, unlike other lease writes: the blame it records (a lease expiry, perhaps a dead
        // letter) is a failure, and the record it comes from is cleared once it returns.
        try await write("releasing abandoned leases") { db in
            let entries = try QueueEntry.fetchAll(
                RowStepper(db.makeStatement(sql: "SELECT \(QueueEntry.columns) FROM queue WHERE lease_token IS NOT NULL"), in: db))
            for var entry in entries {
                if let token = entry.hold?.token, !blamed.contains(token) {
                    _ = entry.release(token: token)
                } else {
                    entry.expireHold()
                }
                try entry.save(db)
            }
            return entries.count
        }
    }

    public func entry(_ key: DocumentKey) async throws -> QueueEntry? {
        try await read("reading the queue row of \(key)") { db in try QueueEntry.fetch(db, key) }
    }

    public func nextWakeTime() async throws -> Timestamp? {
        try await read("reading the queue") { db in
            // Index lookups only: the first unleased row of each priority, and the
            // earliest lease expiry (a partial index holds only leased rows).
            let ready = try db.cachedStatement(sql: """
                SELECT ready_at FROM queue INDEXED BY queue_by_readiness
                WHERE state = \(QueueEntry.State.queued.sql) AND priority = ? AND lease_token IS NULL ORDER BY ready_at LIMIT 1
                """)
            var times = try Priority.allCases.compactMap { try Int64.fetchOne(ready, arguments: [$0.rawValue]) }
            if let expiry = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT lease_expires_at FROM queue INDEXED BY queue_by_lease_expiry
                WHERE lease_token IS NOT NULL AND state = \(QueueEntry.State.queued.sql) ORDER BY lease_expires_at LIMIT 1
                """))
            {
                times.append(expiry)
            }
            return times.min().map { Timestamp(milliseconds: $0) }
        }
    }

    public func depth() async throws -> QueueDepth {
        let now = clock.now()
        return try await read("reading the queue depth") { db in
            try SQLiteStore.depth(db, now: now)
        }
    }

    /// From indexes only, so `/readyz` and the health sampler stay cheap under
    /// a large backlog (a scan of every row took 240 ms at 300,000 queued, this
    /// 40 ms): the queued rows by priority split at `now` from the readiness
    /// index, then the rows under a live lease (a few per worker, in their
    /// partial index) moved from there to `leased`.
    static func depth(_ db: Database, now: Timestamp) throws -> QueueDepth {
        var depth = QueueDepth()
        var ready: [Priority: Int] = [:]
        let queued = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT priority, count(*), sum(ready_at <= ?) FROM queue INDEXED BY queue_by_readiness
                WHERE state = \(QueueEntry.State.queued.sql) GROUP BY priority
                """), arguments: [now.milliseconds])
        for row in queued {
            let priority = Priority(rawValue: row[0]) ?? .low
            let (total, due): (Int, Int) = (row[1], row[2] ?? 0)
            ready[priority, default: 0] += due
            depth.delayed += total - due
        }
        let leased = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT priority, ready_at FROM queue INDEXED BY queue_by_lease_expiry
                WHERE lease_token IS NOT NULL AND state = \(QueueEntry.State.queued.sql) AND lease_expires_at > ?
                """), arguments: [now.milliseconds])
        for row in leased {
            depth.leased += 1
            if (row[1] as Int64) <= now.milliseconds {
                ready[Priority(rawValue: row[0]) ?? .low, default: 0] -= 1
            } else {
                depth.delayed -= 1
            }
        }
        depth.ready = ready.filter { $0.value > 0 }
        depth.dead = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT count(*) FROM queue INDEXED BY queue_by_readiness WHERE state = \(QueueEntry.State.dead.sql)")) ?? 0
        return depth
    }
}
