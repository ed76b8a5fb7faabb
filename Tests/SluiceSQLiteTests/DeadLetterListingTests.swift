import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The newest dead letters (`GET /v1/dead-letters`, the dashboard's poll) come
/// in order, of every tenant or one, from the partial indexes of v19: no sort
/// of every dead letter per request.
@Suite struct DeadLetterListingTests {
    @Test func theNewestComeInOrderFromTheIndexesWithoutASort() async throws {
        let directory = try TemporaryDirectory("sluice-dead-letters")
        let store = try SQLiteStore(path: directory.path + "/sluice.sqlite")
        let now: Int64 = 1_800_000_000_000
        var random = SplitMix64(seed: 7)
        // Times repeat, so ties are ordered by tenant and document.
        let rows = (0..<600).map { index in
            (tenant: "t\(index % 3)", docId: "d\(index).md", at: now + Int64(random.next() % 200), isDead: random.next() % 3 != 0)
        }
        try await store.pool.write { db in
            for row in rows {
                let at = Timestamp(milliseconds: row.at)
                let entry = QueueEntry(
                    key: DocumentKey(tenant: try TenantID(row.tenant), docId: try DocumentID(row.docId)), revision: 1,
                    kind: .upsert, origin: .file(FileLocation(scanRoot: "/r", tenantDirectory: "/r/\(row.tenant)", path: "/r/\(row.tenant)/\(row.docId)")),
                    contentHash: nil, priority: .normal, state: row.isDead ? .dead : .queued, firstChangeAt: at,
                    lastChangeAt: at, readyAt: at, attempts: 3,
                    supersededCount: 0, leaseExpiries: 0, hold: nil, lastError: "failed", enqueuedAt: at)
                try entry.save(db)
            }
        }
        let dead = rows.filter(\.isDead)
        let newestFirst = dead.sorted { ($0.at, $0.tenant, $0.docId) > ($1.at, $1.tenant, $1.docId) }.map { "\($0.tenant):\($0.docId)" }
        let all = try await store.deadLetters(tenant: nil, newest: 50).map(\.key.deadLetterID)
        #expect(all == Array(newestFirst.prefix(50)))
        let one = try await store.deadLetters(tenant: try TenantID("t1"), newest: 50).map(\.key.deadLetterID)
        #expect(one == Array(newestFirst.filter { $0.hasPrefix("t1:") }.prefix(50)))
        #expect(try await store.deadLetters(tenant: nil, newest: nil).count == dead.count)

        for (oneTenant, index) in [(false, "queue_dead_by_time"), (true, "queue_dead_by_tenant")] {
            let plan = try await store.pool.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.deadLettersSQL(oneTenant: oneTenant, newest: true),
                    arguments: StatementArguments(oneTenant ? ["tenant": "t1", "limit": 50] : ["limit": 50])
                ).map { $0["detail"] as String }.joined(separator: "; ")
            }
            #expect(plan.contains(index) && !plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }
}
