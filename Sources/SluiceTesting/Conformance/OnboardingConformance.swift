import SluiceCore
import Testing

/// Onboarding progress (`ReportingStore`): counts, rate, ETA, a new
/// onboarding after the backlog emptied, the same answer from another handle
/// on the store, and the wave of tenants together. Run by every backend's tests.
public struct OnboardingConformance: Sendable {
    let fixture: StoreFixture
    var store: ConformingStore { fixture.store }

    public init(_ factory: StoreFactory) async throws {
        fixture = try await StoreFixture(factory)
    }

    func publish(_ docIds: some Sequence<Int>, version: String = "v1", tenant: String = "acme") async throws {
        _ = try await store.publish(try docIds.map { index in
            try Publication(
                IncomingDocument(meta: DocumentMeta(tenant: tenant, docId: "doc\(index).md"), content: "\(version) of \(index)"),
                priority: .normal, maxContentBytes: 1 << 20)
        })
    }

    /// Leases up to `count` ready documents and completes them as indexed.
    func complete(_ count: Int) async throws {
        try await fixture.completeReady(limit: count)
    }

    func progress(_ store: ConformingStore? = nil) async throws -> OnboardingProgress {
        try #require(try await (store ?? self.store).onboardings(tenant: try TenantID("acme"), window: .seconds(60)).first)
    }

    public func countsRateAndETAFollowTheWork() async throws {
        try await publish(0..<10)
        try await publish(0..<3, version: "v2")  // folded into pending changes: still 10 documents
        var now = try await progress()
        #expect(now.total == 10 && now.pending == 10 && now.processed == 0 && now.active && now.etaSeconds == nil)

        // The first batch finishes 30 s after the start (a scan, a slow start): no rate yet, the wait is not one.
        fixture.clock.advance(by: .seconds(30))
        try await complete(2)
        now = try await progress()
        #expect(now.processed == 2 && now.pending == 8 && now.percent == 20)
        #expect(now.filesPerMinute == 0 && now.etaSeconds == nil)
        fixture.clock.advance(by: .seconds(15))
        try await complete(2)
        now = try await progress()
        #expect(now.processed == 4 && now.pending == 6 && now.percent == 40)
        #expect(now.filesPerMinute == 8, "2 documents in the 15 s since the first batch")
        #expect(now.etaSeconds == 45, "6 left at 8 a minute")

        let dead = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        _ = try await store.fail(dead, error: SluiceError(.invalidInput, "broken"))
        now = try await progress()
        #expect(now.failed == 1 && now.pending == 5)

        // Progress is in the store: a second store on the same file sees it.
        let reopened = try await fixture.reopened()
        #expect(try await progress(reopened) == now)

        fixture.clock.advance(by: .seconds(30))
        try await complete(10)
        now = try await progress()
        #expect(!now.active && now.processed == 9 && now.failed == 1 && now.percent == 100 && now.etaSeconds == 0)

        // The backlog emptied: the next change starts a new onboarding.
        fixture.clock.advance(by: .seconds(5))
        try await publish([42])
        now = try await progress()
        #expect(now.total == 1 && now.processed == 0 && now.failed == 0 && now.active)
        #expect(now.startedAt == fixture.clock.now())

        // A dead letter retried into an empty backlog starts one too; one retried into a busy backlog does not.
        fixture.clock.advance(by: .seconds(5))
        try await complete(1)
        #expect(try await progress().active == false)
        fixture.clock.advance(by: .seconds(5))
        #expect(try await store.retryDeadLetters(tenant: nil) == 1)
        now = try await progress()
        #expect(now.active && now.pending == 1 && now.total == 1, "\(now)")
        let revivedStart = now.startedAt
        try await publish([43])
        now = try await progress()
        #expect(now.startedAt == revivedStart && now.total == 2)
    }

    /// Two tenants queued at once and worked one after the other: the wave
    /// keeps the finished tenant in its counts, and its rate is the
    /// workers' whole rate, so the ETA is right whichever tenant is ahead.
    public func theWaveCountsEveryTenantAtTheWholeRate() async throws {
        try await publish(0..<10)
        try await publish(0..<10, tenant: "globex")
        #expect(try await store.overallOnboarding(window: .seconds(60))?.total == 20)
        fixture.clock.advance(by: .seconds(10))
        try await complete(5)
        fixture.clock.advance(by: .seconds(10))
        try await complete(5)
        var overall = try #require(try await store.overallOnboarding(window: .seconds(60)))
        #expect(overall.processed == 10 && overall.pending == 10 && overall.percent == 50)
        #expect(overall.filesPerMinute == 30, "5 documents in the 10 s since the first batch")
        #expect(overall.etaSeconds == 20)
        fixture.clock.advance(by: .seconds(10))
        try await complete(5)
        overall = try #require(try await store.overallOnboarding(window: .seconds(60)))
        #expect(overall.total == 20 && overall.processed == 15, "a tenant that finished stays in the wave: \(overall)")
        #expect(overall.filesPerMinute == 30 && overall.etaSeconds == 10)
        fixture.clock.advance(by: .seconds(10))
        try await complete(5)
        #expect(try await store.overallOnboarding(window: .seconds(60)) == nil, "the wave is over")
    }
}
