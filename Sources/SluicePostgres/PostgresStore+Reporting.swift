import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: ReportingStore {
    public func tenantSummaries(tenant: TenantID?) async throws -> [TenantSummary] {
        try await reading("summarizing tenants") { connection in
            var summaries: [String: TenantSummary] = [:]
            let documents = try await connection.query("""
                SELECT tenant, status, count(*)::int8, coalesce(sum(chunk_count), 0)::int8, max(updated_at) FROM documents
                WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue)) GROUP BY tenant, status
                """, logger: self.logger)
            for try await (name, status, count, chunks, last) in documents.decode((String, String, Int, Int, Int64).self) {
                var summary = summaries[name] ?? TenantSummary(tenant: name)
                switch DocumentState.Status(rawValue: status) {
                case .indexed: summary.indexed += count
                case .skipped: summary.skipped += count
                case .deleted: summary.deleted += count
                case nil: break
                }
                summary.chunks += chunks
                summary.lastActivity = later(summary.lastActivity, Timestamp(milliseconds: last))
                summaries[name] = summary
            }
            let queue = try await connection.query("""
                SELECT tenant, count(*) FILTER (WHERE state = \(QueueEntry.State.queued.rawValue)),
                       count(*) FILTER (WHERE state = \(QueueEntry.State.dead.rawValue)), max(last_change_at) FROM queue
                WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue)) GROUP BY tenant
                """, logger: self.logger)
            for try await (name, pending, failed, last) in queue.decode((String, Int, Int, Int64).self) {
                var summary = summaries[name] ?? TenantSummary(tenant: name)
                summary.pending = pending
                summary.failed = failed
                summary.lastActivity = later(summary.lastActivity, Timestamp(milliseconds: last))
                summaries[name] = summary
            }
            return summaries.values.sorted { $0.tenant < $1.tenant }
        }
    }

    public func onboardings(tenant: TenantID?, window: Duration) async throws -> [OnboardingProgress] {
        try await reading("reading onboarding progress") { connection in
            let now = try await self.now(connection)
            return try await self.onboardings(connection, tenant: tenant, window: window, now: now)
        }
    }

    public func onboardingReport(window: Duration) async throws -> (tenants: [OnboardingProgress], overall: OnboardingProgress?) {
        try await reading("reading onboarding progress") { connection in
            let now = try await self.now(connection)
            let tenants = try await self.onboardings(connection, tenant: nil, window: window, now: now)
            let wave = OnboardingProgress.wave(tenants)
            guard let start = wave.map(\.startedAt).min() else { return (tenants, nil) }
            var firstBatch: Timestamp?
            for tenant in wave {
                if let first = try await self.firstUpdate(connection, tenant: tenant.tenant, since: start) {
                    firstBatch = min(firstBatch ?? first, first)
                }
            }
            let since = max(now - window, firstBatch ?? now)
            var finished = 0
            for tenant in wave { finished += try await self.updates(connection, tenant: tenant.tenant, after: since) }
            return (tenants, OnboardingProgress.combined(wave, filesPerMinute: OnboardingProgress.perMinute(finished, since: since, now: now)))
        }
    }

    /// Each tenant's current or last onboarding, counted from its start (see `SQLiteStore.onboardings`).
    private func onboardings(_ connection: PostgresConnection, tenant: TenantID?, window: Duration, now: Timestamp) async throws -> [OnboardingProgress] {
        // One statement for every tenant (a dashboard reads this every few seconds): the
        // rate counts from the later of the window's start and the onboarding's first write.
        let (queued, dead) = (QueueEntry.State.queued.rawValue, QueueEntry.State.dead.rawValue)
        let windowStart = (now - window).milliseconds
        let rows = try await connection.query("""
            WITH o AS (
                SELECT o.tenant, o.started_at,
                       (SELECT count(*) FROM queue q WHERE q.tenant = o.tenant AND q.state = \(queued)) AS pending,
                       (SELECT count(*) FROM queue q WHERE q.tenant = o.tenant AND q.state = \(dead)
                          AND q.last_change_at >= o.started_at) AS failed,
                       (SELECT count(*) FROM documents d WHERE d.tenant = o.tenant AND d.updated_at >= o.started_at) AS processed,
                       (SELECT min(d.updated_at) FROM documents d WHERE d.tenant = o.tenant AND d.updated_at >= o.started_at) AS first_write,
                       (SELECT max(d.updated_at) FROM documents d WHERE d.tenant = o.tenant) AS last_write
                FROM onboarding_starts o
                WHERE (\(tenant?.rawValue)::text IS NULL OR o.tenant = \(tenant?.rawValue))
            )
            SELECT tenant, started_at, pending, failed, processed, last_write,
                   greatest(\(windowStart)::int8, coalesce(first_write, \(now.milliseconds)::int8)) AS since,
                   (SELECT count(*) FROM documents d WHERE d.tenant = o.tenant
                      AND d.updated_at > greatest(\(windowStart)::int8, coalesce(first_write, \(now.milliseconds)::int8))) AS recent
            FROM o ORDER BY tenant
            """, logger: logger)
        var progress: [OnboardingProgress] = []
        for try await (name, startedAt, pending, failed, processed, lastWrite, since, recent)
            in rows.decode((String, Int64, Int, Int, Int, Int64?, Int64, Int).self)
        {
            let start = Timestamp(milliseconds: startedAt)
            progress.append(OnboardingProgress(
                tenant: name, startedAt: start, total: processed + failed + pending, processed: processed, failed: failed,
                pending: pending,
                filesPerMinute: OnboardingProgress.perMinute(recent, since: Timestamp(milliseconds: since), now: now),
                finishedAt: pending > 0 ? nil : lastWrite.map { Timestamp(milliseconds: Swift.max($0, startedAt)) } ?? start))
        }
        return progress
    }

    /// When the tenant's first document was written at or after `since`, if any was.
    private func firstUpdate(_ connection: PostgresConnection, tenant: String, since: Timestamp) async throws -> Timestamp? {
        let rows = try await connection.query(
            "SELECT min(updated_at) FROM documents WHERE tenant = \(tenant) AND updated_at >= \(since.milliseconds)", logger: logger)
        return try await rows.firstRow()?.decode(Int64?.self).map(Timestamp.init(milliseconds:))
    }

    /// Documents of the tenant written after `after`.
    private func updates(_ connection: PostgresConnection, tenant: String, after: Timestamp) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*) FROM documents WHERE tenant = \(tenant) AND updated_at > \(after.milliseconds)", logger: logger)
        return try await rows.firstRow()?.decode(Int.self) ?? 0
    }

    public func firstDocumentWritten() async throws -> [String: Timestamp] {
        try await reading("reading when each tenant's first document was written") { connection in
            let rows = try await connection.query("SELECT tenant, min(updated_at) FROM documents GROUP BY tenant", logger: self.logger)
            var firsts: [String: Timestamp] = [:]
            for try await (tenant, first) in rows.decode((String, Int64).self) { firsts[tenant] = Timestamp(milliseconds: first) }
            return firsts
        }
    }
}

private func later(_ a: Timestamp?, _ b: Timestamp) -> Timestamp {
    guard let a else { return b }
    return Swift.max(a, b)
}
