import Foundation
import GRDB
import SluiceCore

/// What the queue writes of one transaction did that matters beyond the
/// rows: the earliest time their work becomes ready (to wake the workers),
/// and the onboardings they started. An onboarding starts when a change
/// enters a tenant's empty backlog; that is checked once per tenant per
/// transaction, not per row (a row trigger on `queue` cost about 10 µs per
/// insert, some 8% of a published document's CPU).
struct EnqueueEffects: Sendable {
    private(set) var earliest: Timestamp?
    /// Tenants whose backlog this transaction has already seen to be non-empty.
    private var busyTenants: Set<String> = []

    /// `entry` was just saved as pending at `now`; `wasPending`: it was pending before.
    mutating func pending(_ entry: QueueEntry, wasPending: Bool, at now: Timestamp, _ db: Database) throws {
        earliest = min(earliest ?? entry.readyAt, entry.readyAt)
        let tenant = entry.key.tenant.rawValue
        guard busyTenants.insert(tenant).inserted, !wasPending else { return }
        // +state keeps the planner on the primary key (tenant first) rather than
        // queue_by_readiness, which would read every pending row of every tenant.
        let others = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM queue WHERE tenant = ? AND +state = \(QueueEntry.State.queued.sql) AND doc_id != ?)"),
            arguments: [tenant, entry.key.docId.rawValue]) ?? false
        if !others {
            try db.cachedStatement(sql: """
                INSERT INTO onboarding_starts (tenant, started_at) VALUES (?, ?)
                ON CONFLICT (tenant) DO UPDATE SET started_at = excluded.started_at, batches = 0
                """).execute(arguments: [tenant, now.milliseconds])
        }
    }
}
