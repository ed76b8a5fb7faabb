import Foundation
import GRDB
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import Testing

/// The queue depth is counted from indexes (`SQLiteStore.depth`); it must
/// equal the plain count over every row, whatever mix of states, priorities,
/// ready times and live, expired or absent leases the queue holds.
@Suite struct QueueDepthTests {
    /// The definition: every row read.
    static func countedRowByRow(_ db: Database, now: Int64) throws -> QueueDepth {
        var depth = QueueDepth()
        for row in try Row.fetchAll(db, sql: "SELECT priority, state, ready_at, lease_token, lease_expires_at FROM queue") {
            let state: Int = row[1]
            if state == QueueEntry.State.dead.rawValue {
                depth.dead += 1
                continue
            }
            let leased = (row[3] as String?) != nil && (row[4] as Int64? ?? 0) > now
            if leased {
                depth.leased += 1
            } else if (row[2] as Int64) <= now {
                depth.ready[Priority(rawValue: row[0]) ?? .low, default: 0] += 1
            } else {
                depth.delayed += 1
            }
        }
        return depth
    }

    @Test(arguments: [1, 2, 3])
    func theIndexCountEqualsTheRowCount(seed: UInt64) async throws {
        let directory = try TemporaryDirectory("sluice-depth")
        let store = try SQLiteStore(path: directory.path + "/sluice.sqlite")
        let now: Int64 = 1_800_000_000_000
        try await store.pool.write { db in
            var random = SplitMix64(seed: seed)
            for index in 0..<2_000 {
                let around = { (spread: Int64) in now + Int64(random.next() % UInt64(2 * spread)) - spread }
                let hold: QueueEntry.Hold? = random.next() % 4 == 0
                    ? QueueEntry.Hold(token: "t\(index)", expiresAt: Timestamp(milliseconds: around(30_000)), revision: 1) : nil
                let entry = QueueEntry(
                    key: DocumentKey(tenant: try TenantID("t\(index % 7)"), docId: try DocumentID("d\(index).md")), revision: 1,
                    kind: .upsert, origin: .file(FileLocation(scanRoot: "/r", tenantDirectory: "/r/t", path: "/r/t/d\(index).md")),
                    contentHash: nil, priority: Priority.allCases[Int(random.next() % UInt64(Priority.allCases.count))],
                    state: random.next() % 10 == 0 ? .dead : .queued, firstChangeAt: Timestamp(milliseconds: now),
                    lastChangeAt: Timestamp(milliseconds: now), readyAt: Timestamp(milliseconds: around(5_000)), attempts: 0,
                    supersededCount: 0, leaseExpiries: 0, hold: hold, lastError: nil, enqueuedAt: Timestamp(milliseconds: now))
                try entry.save(db)
            }
        }
        let (indexed, counted) = try await store.pool.read { db in
            (try SQLiteStore.depth(db, now: Timestamp(milliseconds: now)), try Self.countedRowByRow(db, now: now))
        }
        #expect(indexed == counted)
        #expect(counted.leased > 0 && counted.delayed > 0 && counted.dead > 0 && counted.ready.count == Priority.allCases.count)
    }
}
