import Foundation
import GRDB
import SluiceCore

/// What fair leasing keeps of each tenant's onboarding (`onboarding_starts`,
/// a row per tenant whose backlog once filled from empty): how many leases
/// it has had since it began (`batches`, back to 0 when a change enters the
/// tenant's empty backlog again). Tenants at 0 are leased from first; the
/// count sets the tenant's quantum in the round (`TenantRounds.quantum`).
struct LeaseStarts {
    let db: Database

    init(_ db: Database) { self.db = db }

    /// Up to `count` tenants whose onboarding has had no lease yet, oldest onboarding first.
    func unserved(count: Int) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT tenant FROM onboarding_starts INDEXED BY onboarding_starts_unserved WHERE batches = 0 ORDER BY started_at LIMIT ?"),
            arguments: [count])
    }

    /// The leases `tenant` has had since its onboarding began; a tenant
    /// without a row (queued before migration v18) counts as just begun.
    func batches(_ tenant: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT batches FROM onboarding_starts WHERE tenant = ?"), arguments: [tenant]) ?? 0
    }

    /// `tenant` was just leased from.
    func served(_ tenant: String) throws {
        try db.cachedStatement(sql: "UPDATE onboarding_starts SET batches = batches + 1 WHERE tenant = ?").execute(arguments: [tenant])
    }

    /// An unserved tenant with nothing queued at all (its rows left without a
    /// lease) stops being looked at first.
    func forgetIfIdle(_ tenant: String) throws {
        // +state keeps the planner on the primary key (tenant first), as in `EnqueueEffects`.
        let queued = try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM queue WHERE tenant = ? AND +state = \(QueueEntry.State.queued.sql))"),
            arguments: [tenant]) ?? false
        if !queued { try served(tenant) }
    }
}
