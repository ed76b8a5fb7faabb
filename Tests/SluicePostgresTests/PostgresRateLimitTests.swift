import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// The API's rate limits kept in PostgreSQL: a key's budget holds across
/// every process (each store here is one process's), where buckets in each
/// process's memory would give every process the whole budget.
@Suite struct PostgresRateLimitTests {
    @Test func aBucketRefillsAtItsRateAndSaysHowLongToWait() async throws {
        try await sideBySide { (clock: ManualClock, both: [any RateLimits]) async throws in
            for limits in both {
                // 120 a minute, a second's burst: 2 at once, then one every 500 ms.
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == .milliseconds(500), "\(limits)")
                #expect(try await limits.take("other", ratePerMinute: 120, burstSeconds: 1) == nil, "buckets are apart")
            }
            clock.advance(by: .milliseconds(200))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == .milliseconds(300), "\(limits)")
            }
            clock.advance(by: .milliseconds(300))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) != nil)
            }
            clock.advance(by: .seconds(60))
            for limits in both {
                // A long pause fills the bucket to its burst, not beyond.
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 120, burstSeconds: 1) != nil)
            }
        }
    }

    /// A take whose time was read before another's took the bucket (concurrent
    /// requests) comes with an earlier time: it refills nothing, and does not
    /// wind the bucket's time back for the next take to refill that span
    /// again. The same in the database as in memory.
    @Test func aTakeWithAnEarlierTimeRefillsNothingTwice() async throws {
        try await sideBySide { (clock: ManualClock, both: [any RateLimits]) async throws in
            for limits in both {
                // 600 a minute, a second's burst: 10, all taken.
                for _ in 0..<10 { #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil) }
            }
            clock.advance(by: .milliseconds(500))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil, "5 refilled, 4 left")
            }
            clock.advance(by: .milliseconds(-400))
            for limits in both {
                for _ in 0..<4 { #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil, "an earlier time refills nothing") }
            }
            clock.advance(by: .milliseconds(400))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) != nil, "the span to 500 ms was refilled once: \(limits)")
            }
        }
    }

    /// A batch's documents past its first are charged into debt, which the
    /// next requests wait out; no charge is taken while in debt. The same in
    /// the database as in memory.
    @Test func aBatchIsChargedPerDocumentAndItsDebtWaitedOut() async throws {
        try await sideBySide { (clock: ManualClock, both: [any RateLimits]) async throws in
            for limits in both {
                // 600 a minute, a second's burst: 10 at once. Two batches of 30 admitted at once.
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil)
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil)
                #expect(try await limits.charge("k", count: 29, ratePerMinute: 600, burstSeconds: 1) == nil, "\(limits)")
                #expect(try await limits.charge("k", count: 29, ratePerMinute: 600, burstSeconds: 1) == .milliseconds(2_200), "\(limits)")
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == .milliseconds(2_200), "\(limits)")
            }
            clock.advance(by: .milliseconds(2_100))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == .milliseconds(100), "the debt repaid, not the token: \(limits)")
            }
            clock.advance(by: .milliseconds(100))
            for limits in both {
                #expect(try await limits.take("k", ratePerMinute: 600, burstSeconds: 1) == nil, "\(limits)")
            }
        }
    }

    /// Three processes asking five times as often as the limit allows, for a
    /// minute of (test) time: together they get the limit, not three times it.
    @Test func threeProcessesTogetherGetOneKeysLimit() async throws {
        let clock = ManualClock()
        let location = try TestDatabase.freshLocation()
        var stores: [PostgresStore] = []
        for _ in 0..<3 { stores.append(try await PostgresStore.open(location, clock: clock, options: PostgresStore.Options(maximumConnections: 2))) }
        let locals = stores.map { _ in LocalRateLimits(clock: clock) }
        let rate = 600  // 10 a second, a burst of 10
        var shared = 0
        var apart = 0
        for _ in 0..<600 {  // 60 s in steps of 100 ms
            for (store, local) in zip(stores, locals) {
                for _ in 0..<2 {
                    if try await store.take("key_1", ratePerMinute: rate, burstSeconds: 1) == nil { shared += 1 }
                    if try await local.take("key_1", ratePerMinute: rate, burstSeconds: 1) == nil { apart += 1 }
                }
            }
            clock.advance(by: .milliseconds(100))
        }
        // The burst, then 10 a second for the 59.9 s after the first step.
        let limit = 10 + 599
        #expect(abs(shared - limit) <= limit / 10, "accepted \(shared) across three processes; the limit allows \(limit)")
        #expect(apart > 2 * limit, "buckets in each process's memory let each have the whole limit (\(apart))")
        for store in stores { await store.close() }
    }

    /// Runs `body` on a bucket store in PostgreSQL and one in memory, on one
    /// manual clock: each step is taken on both, and both must answer alike.
    private func sideBySide(_ body: (ManualClock, [any RateLimits]) async throws -> Void) async throws {
        let clock = ManualClock()
        let store = try await PostgresStore.open(try TestDatabase.freshLocation(), clock: clock)
        try await body(clock, [store, LocalRateLimits(clock: clock)])
        await store.close()
    }
}
