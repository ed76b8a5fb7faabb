import SluiceCore
import Testing

/// The walk over the tenants that fair leasing does in both backends.
@Suite struct TenantRoundsTests {
    /// A queue as one lease transaction sees it: the tenants with queued
    /// rows, and how many of those rows it could lease now (the others are
    /// held by other processes or not ready yet).
    struct Queue {
        var queued: [String: Int]
        /// Rows taken from a tenant per visit (its share: `TenantRounds.quantum`).
        var quantum = 2
        /// Called after each step; another process may change the queue here.
        var between: (inout [String: Int], Int) -> Void = { _, _ in }

        /// Walks as `lease` does; the tenants leased from, in order, and
        /// whether the walk stopped within 1,000 steps.
        mutating func walk(from cursor: String, limit: Int) -> (visits: [String], leased: Int, stopped: Bool) {
            var rounds = TenantRounds(from: cursor)
            var visits: [String] = []
            var leased = 0
            for step in 0..<1000 {
                guard leased < limit else { return (visits, leased, true) }
                switch rounds.step(next: queued.keys.sorted().first { $0 > rounds.cursor }) {
                case .stop: return (visits, leased, true)
                case .wrap: continue
                case .lease(let tenant):
                    visits.append(tenant)
                    let taken = min(quantum, queued[tenant] ?? 0, limit - leased)
                    queued[tenant]? -= taken
                    leased += taken
                    rounds.leased(taken)
                }
                between(&queued, step)
            }
            return (visits, leased, false)
        }
    }

    @Test func aTenantsShareStartsAtAnEighthAndDoublesUpToTheWholeBatch() {
        #expect((0..<6).map { TenantRounds.quantum(for: 50, batches: $0) } == [6, 12, 24, 48, 50, 50])
        #expect((0..<3).map { TenantRounds.quantum(for: 3, batches: $0) } == [1, 2, 3])
        #expect(TenantRounds.quantum(for: 1) == 1)
        #expect(TenantRounds.quantum(for: 50, batches: Int.max) == 50, "no overflow however many leases")
        #expect((0..<6).map { TenantRounds.counts($0, for: 50) } == [true, true, true, true, false, false], "counted until the whole batch")
        #expect(TenantRounds.counts(0, for: 1), "a first lease is counted even when the first share is the whole batch")
        #expect([1, 3, 10, 50, 100].map(TenantRounds.fixedQuantum(for:)) == [1, 1, 2, 12, 25], "PostgreSQL's: a quarter")
    }

    @Test func eachRoundTakesAQuantumFromEachTenantFromWhereTheLastLeaseStopped() {
        var queue = Queue(queued: ["a": 10, "b": 1, "c": 10])
        let walk = queue.walk(from: "a", limit: 8)
        #expect(walk.visits == ["b", "c", "a", "b", "c", "a"])
        #expect(walk.leased == 8 && walk.stopped)
    }

    @Test func aRoundThatLeasesNothingEndsTheWalk() {
        var queue = Queue(queued: ["a": 0, "b": 1, "c": 0])
        let walk = queue.walk(from: "b", limit: 8)
        #expect(walk.visits == ["c", "a", "b", "c", "a", "b"], "a second round that leases nothing ends it")
        #expect(walk.leased == 1 && walk.stopped)
        var empty = Queue(queued: [:])
        #expect(empty.walk(from: "", limit: 8) == ([], 0, true))
    }

    /// With many processes, the tenant a round began at can lose its last
    /// queued row to another process mid-walk. The walk used to wait to meet
    /// that tenant again and went round the others forever, inside one
    /// transaction that held the rows it had leased.
    @Test func theWalkEndsWhenTheTenantItBeganAtHasNoWorkLeft() {
        var queue = Queue(queued: ["a": 0, "b": 0, "c": 0]) { queued, step in
            if step == 0 { queued["a"] = nil }  // another process finished a's last row
        }
        let walk = queue.walk(from: "", limit: 8)
        #expect(walk.stopped, "walked \(walk.visits.count) tenants without end")
        #expect(walk.visits == ["a", "b", "c"])
    }

    /// The same when the tenant the round began at is the last one: no
    /// tenant at or after it is left to meet, and the walk went round the
    /// others forever (two lease transactions for ten minutes, each holding
    /// rows the other skipped, in `sluice bench --store`).
    @Test func theWalkEndsWhenTheLastTenantItBeganAtHasNoWorkLeft() {
        var queue = Queue(queued: ["a": 0, "c": 0]) { queued, step in
            if step == 0 { queued["c"] = nil }
        }
        let walk = queue.walk(from: "b", limit: 8)
        #expect(walk.stopped, "walked \(walk.visits.count) tenants without end")
        #expect(walk.visits == ["c", "a"])
        // A round that leased something goes on from the first tenant.
        var busy = Queue(queued: ["a": 1, "c": 0]) { queued, step in
            if step == 0 { queued["c"] = nil }
        }
        let more = busy.walk(from: "b", limit: 8)
        #expect(more.stopped && more.leased == 1 && more.visits == ["c", "a", "a"], "\(more)")
    }

    @Test func aTenantThatAppearsMidWalkIsVisited() {
        var queue = Queue(queued: ["b": 0, "d": 0]) { queued, step in
            if step == 0 { queued["a"] = 1 }
        }
        let walk = queue.walk(from: "b", limit: 8)
        #expect(walk.visits == ["d", "a", "b", "d", "a", "b"])
        #expect(walk.leased == 1 && walk.stopped)
    }
}
