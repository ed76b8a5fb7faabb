import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: ReportingStore {
    public func tenantSummaries(tenant: TenantID?) async throws -> [TenantSummary] {
        try await read("summarizing tenants") { db in
            var summaries: [String: TenantSummary] = [:]
            // With a tenant, both reads are ranges of the tables' primary keys.
            let only = tenant == nil ? "" : "WHERE tenant = ?"
            let arguments: StatementArguments = tenant.map { [$0.rawValue] } ?? []
            let documentRows = try Row.fetchAll(db, sql: """
                SELECT tenant, status, COUNT(*) AS count, SUM(chunk_count) AS chunks, MAX(updated_at) AS last
                FROM documents \(only) GROUP BY tenant, status
                """, arguments: arguments)
            for row in documentRows {
                let tenant: String = row["tenant"]
                var summary = summaries[tenant] ?? TenantSummary(tenant: tenant)
                let count: Int = row["count"]
                switch DocumentState.Status(rawValue: row["status"]) {
                case .indexed: summary.indexed += count
                case .skipped: summary.skipped += count
                case .deleted: summary.deleted += count
                case nil: break
                }
                summary.chunks += row["chunks"] ?? 0
                summary.lastActivity = max(summary.lastActivity, Timestamp(milliseconds: row["last"]))
                summaries[tenant] = summary
            }
            let queueRows = try Row.fetchAll(db, sql: """
                SELECT tenant, SUM(state = \(QueueEntry.State.queued.sql)) AS pending, SUM(state = \(QueueEntry.State.dead.sql)) AS failed, MAX(last_change_at) AS last
                FROM queue \(only) GROUP BY tenant
                """, arguments: arguments)
            for row in queueRows {
                let tenant: String = row["tenant"]
                var summary = summaries[tenant] ?? TenantSummary(tenant: tenant)
                summary.pending = row["pending"]
                summary.failed = row["failed"]
                summary.lastActivity = max(summary.lastActivity, Timestamp(milliseconds: row["last"]))
                summaries[tenant] = summary
            }
            return summaries.values.sorted { $0.tenant < $1.tenant }
        }
    }

    public func onboardings(tenant: TenantID?, window: Duration) async throws -> [OnboardingProgress] {
        let now = clock.now()
        return try await read("reading onboarding progress") { db in
            try SQLiteStore.onboardings(db, tenant: tenant, window: window, now: now)
        }
    }

    public func onboardingReport(window: Duration) async throws -> (tenants: [OnboardingProgress], overall: OnboardingProgress?) {
        let now = clock.now()
        return try await read("reading onboarding progress") { db in
            let tenants = try SQLiteStore.onboardings(db, tenant: nil, window: window, now: now)
            let wave = OnboardingProgress.wave(tenants)
            guard let start = wave.map(\.startedAt).min() else { return (tenants, nil) }
            let firstBatch = try wave.compactMap { try SQLiteStore.firstUpdate(db, tenant: $0.tenant, since: start) }.min()
            let since = max(now - window, firstBatch ?? now)
            let finished = try wave.reduce(0) { $0 + (try SQLiteStore.updates(db, tenant: $1.tenant, after: since)) }
            return (tenants, OnboardingProgress.combined(wave, filesPerMinute: OnboardingProgress.perMinute(finished, since: since, now: now)))
        }
    }

    /// Each tenant's current or last onboarding, counted from its start:
    /// documents written since (processed), dead letters of changes since
    /// (failed) and pending queue rows; with its rate over its own window.
    static func onboardings(_ db: Database, tenant: TenantID?, window: Duration, now: Timestamp) throws -> [OnboardingProgress] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT tenant, started_at FROM onboarding_starts WHERE (:tenant IS NULL OR tenant = :tenant) ORDER BY tenant",
            arguments: ["tenant": tenant?.rawValue])
        let queued = try db.cachedStatement(sql: """
            SELECT count(*) FILTER (WHERE state = \(QueueEntry.State.queued.sql)), count(*) FILTER (WHERE state = \(QueueEntry.State.dead.sql) AND last_change_at >= :since)
            FROM queue WHERE tenant = :tenant
            """)
        let last = try db.cachedStatement(sql: "SELECT max(updated_at) FROM documents INDEXED BY documents_by_update WHERE tenant = ?")
        return try rows.map { row in
            let name: String = row["tenant"]
            let started = Timestamp(milliseconds: row["started_at"])
            let counts = try Row.fetchOne(queued, arguments: ["tenant": name, "since": started.milliseconds])
            let pending: Int = counts?[0] ?? 0
            let failed: Int = counts?[1] ?? 0
            let processed = try updates(db, tenant: name, after: started - .milliseconds(1))
            let since = max(now - window, try firstUpdate(db, tenant: name, since: started) ?? now)
            let finishedAt = pending > 0 ? nil : try Int64.fetchOne(last, arguments: [name]).map { Timestamp(milliseconds: max($0, started.milliseconds)) } ?? started
            return OnboardingProgress(
                tenant: name, startedAt: started, total: processed + failed + pending, processed: processed, failed: failed,
                pending: pending, filesPerMinute: OnboardingProgress.perMinute(try updates(db, tenant: name, after: since), since: since, now: now),
                finishedAt: finishedAt)
        }
    }

    /// When the tenant's first document was written at or after `since` (the
    /// first batch of an onboarding finished), if any was.
    static func firstUpdate(_ db: Database, tenant: String, since: Timestamp) throws -> Timestamp? {
        let statement = try db.cachedStatement(sql: "SELECT min(updated_at) FROM documents INDEXED BY documents_by_update WHERE tenant = ? AND updated_at >= ?")
        return try Int64.fetchOne(statement, arguments: [tenant, since.milliseconds]).map(Timestamp.init(milliseconds:))
    }

    /// Documents of the tenant written after `after` (strictly: the batch that finished at `after` did its work before).
    static func updates(_ db: Database, tenant: String, after: Timestamp) throws -> Int {
        let statement = try db.cachedStatement(sql: "SELECT count(*) FROM documents INDEXED BY documents_by_update WHERE tenant = ? AND updated_at > ?")
        return try Int.fetchOne(statement, arguments: [tenant, after.milliseconds]) ?? 0
    }

    /// When each tenant's first document was written (for the fairness figure of `sluice bench`).
    public func firstDocumentWritten() async throws -> [String: Timestamp] {
        try await read("reading when each tenant's first document was written") { db in
            var firsts: [String: Timestamp] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tenant, min(updated_at) AS first FROM documents GROUP BY tenant") {
                firsts[row["tenant"]] = Timestamp(milliseconds: row["first"])
            }
            return firsts
        }
    }
}

private func max(_ a: Timestamp?, _ b: Timestamp) -> Timestamp {
    guard let a else { return b }
    return Swift.max(a, b)
}
