import SluiceCore
import Testing

/// The queue contract (DESIGN.md invariants 2 and 3, and the retry rules),
/// written once against the `JobQueue` protocol and run by every backend's
/// tests, as sql-kit's benchmark is run by each SQL driver.
///
/// `make` returns a fresh, empty backend driven by the given clock, with a
/// settle window of 50 ms (maximum 2 s), retries with a base delay of 1 s and
/// at most 3 attempts.
public struct JobQueueConformance: Sendable {
    public typealias Backend = any JobQueue & DeadLetterAdministration & DocumentStateStore
    public let make: @Sendable (ManualClock) async throws -> Backend

    public static let settle = SettlePolicy(window: .milliseconds(50), maximum: .milliseconds(2000))
    public static let retry = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(1))
    public static let leaseDuration: Duration = .seconds(30)

    public init(make: @escaping @Sendable (ManualClock) async throws -> Backend) {
        self.make = make
    }

    public static func key(_ doc: String, tenant: String = "acme") -> DocumentKey {
        DocumentKey(tenant: try! TenantID(tenant), docId: try! DocumentID(doc))
    }

    public static func change(_ doc: String, _ priority: Priority = .normal, kind: Change.Kind = .upsert, tenant: String = "acme") -> Change {
        Change(key: key(doc, tenant: tenant), kind: kind, origin: .file(FileLocation(scanRoot: "/r", tenantDirectory: "/r/\(tenant)", path: "/r/\(tenant)/\(doc)")),
            priority: priority)
    }

    /// Runs every check.
    public func runAll() async throws {
        try await coalescesChangesToOneRow()
        try await appliesTwoChangesOfADocumentInOneCallInTheirOrder()
        try await settleWindowDelaysAndIsBounded()
        try await holdsOneLeasePerDocument()
        try await keepsNewerChangeQueuedWhileLeased()
        try await rejectsLateCompletionAfterLeaseExpired()
        try await renewsOnlyTheLeasesThatStillHold()
        try await retriesWithBackoffThenDeadLetters()
        try await deadLettersPermanentFailuresAtOnce()
        try await newChangeRevivesDeadLetter()
        try await leasesByPriority()
        try await sharesLeasesFairlyAcrossTenants()
        try await deadLettersAfterThreeLeaseExpiries()
        try await releasesAbandonedLeases()
        try await blamesOnlyTheDocumentBeingProcessed()
        try await releasedLeaseIsLeasableWithoutAttempt()
        try await countsDepth()
        try await postponesWithoutCountingAnAttempt()
    }

    func lease(_ queue: Backend, limit: Int = 10) async throws -> [Lease] {
        try await queue.lease(limit: limit, duration: Self.leaseDuration)
    }

    public func coalescesChangesToOneRow() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        let first = try await queue.enqueue([Self.change("a.md", .low)])
        let second = try await queue.enqueue([Self.change("a.md", .low), Self.change("b.md")])
        guard case .queued(let r1) = first[0], case .coalesced(let r2) = second[0], case .queued(let r3) = second[1] else {
            Issue.record("expected queued, coalesced, queued; got \(first) \(second)")
            return
        }
        #expect(r1 < r2 && r2 < r3, "revisions come from one monotonic counter")
        clock.advance(by: .milliseconds(50))
        #expect(try await lease(queue).map(\.key) == [Self.key("b.md")], "a quiet document is ready after the base window")
        clock.advance(by: Self.settle.busyWindow)
        let leases = try await lease(queue)
        #expect(leases.map(\.key) == [Self.key("a.md")], "a document that changed again waits for the busy window")
        #expect(leases.first?.revision == r2, "the row carries the newest revision")
    }

    /// A batch may hold one document twice (a scan and the watcher agreeing,
    /// a client's batch): the later change wins, whatever order the backend
    /// locks documents in.
    public func appliesTwoChangesOfADocumentInOneCallInTheirOrder() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        let outcomes = try await queue.enqueue([Self.change("a.md", .low), Self.change("b.md"), Self.change("a.md", .high, kind: .delete)])
        guard case .queued(let first) = outcomes[0], case .queued = outcomes[1], case .coalesced(let last) = outcomes[2] else {
            Issue.record("expected queued, queued, coalesced; got \(outcomes)")
            return
        }
        #expect(first < last)
        clock.advance(by: Self.settle.maximum)
        let leases = try await lease(queue)
        #expect(leases.map(\.key) == [Self.key("a.md"), Self.key("b.md")], "a.md's row has the later change's high priority")
        #expect(leases.first?.kind == .delete && leases.first?.revision == last, "\(leases)")
    }

    public func settleWindowDelaysAndIsBounded() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        #expect(try await lease(queue).isEmpty, "not ready inside the settle window")
        // A change every 40 ms keeps pushing readiness, but never past 2 s after the first.
        for _ in 0..<49 {
            clock.advance(by: .milliseconds(40))
            try await queue.enqueue([Self.change("a.md")])
            #expect(try await lease(queue).isEmpty)
        }
        clock.advance(by: .milliseconds(40))  // 2,000 ms after the first change
        #expect(try await lease(queue).map(\.key) == [Self.key("a.md")])
    }

    public func holdsOneLeasePerDocument() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        #expect(try await lease(queue).count == 1)
        #expect(try await lease(queue).isEmpty, "a held document is not leased twice")
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        #expect(try await lease(queue).isEmpty, "a new change to a held document waits for the holder")
    }

    public func keepsNewerChangeQueuedWhileLeased() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let held = try #require(try await lease(queue).first)
        let newer = try await queue.enqueue([Self.change("a.md", kind: .delete)])[0].revision
        let outcome = try await queue.complete([Completion(lease: held, result: .skipped(contentHash: nil, reason: "test"))])
        #expect(outcome == [.appliedNewerPending])
        clock.advance(by: .seconds(1))
        let next = try #require(try await lease(queue).first)
        #expect(next.revision == newer && next.kind == .delete)
        #expect(try await queue.complete([Completion(lease: next, result: .deleted)]) == [.applied])
        #expect(try await queue.nextWakeTime() == nil, "nothing left once the newest revision is done")
        let state = try #require(try await queue.documentState(Self.key("a.md")))
        #expect(state.status == .deleted && state.revision == newer)
        #expect(state.contentHash == Tombstone.marker(tenant: Self.key("a.md").tenant, docId: Self.key("a.md").docId))
    }

    public func rejectsLateCompletionAfterLeaseExpired() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let stale = try #require(try await lease(queue).first)
        clock.advance(by: Self.leaseDuration + .seconds(1))
        #expect(try await queue.renew([stale], duration: Self.leaseDuration) == [stale.token], "an expired lease cannot be renewed")
        let fresh = try #require(try await lease(queue).first, "an expired lease is leasable again")
        #expect(fresh.token != stale.token)
        #expect(try await queue.complete([Completion(lease: stale, result: .deleted)]) == [.leaseLost])
        #expect(try await queue.documentState(Self.key("a.md")) == nil, "the late completion wrote nothing")
        #expect(try await queue.complete([Completion(lease: fresh, result: .deleted)]) == [.applied])
    }

    /// `renew` extends each lease that still holds from the store's now, and
    /// names the ones it could not: expired, taken over, or never held.
    public func renewsOnlyTheLeasesThatStillHold() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md"), Self.change("b.md")])
        clock.advance(by: .seconds(1))
        let first = try await lease(queue)
        let held = try #require(first.first { $0.key == Self.key("a.md") })
        let expiring = try #require(first.first { $0.key == Self.key("b.md") })
        clock.advance(by: Self.leaseDuration - .seconds(5))
        #expect(try await queue.renew([held], duration: Self.leaseDuration) == [], "a holding lease is renewed")
        clock.advance(by: .seconds(10))
        let taken = try #require(try await lease(queue).first, "the lease left alone expired and is taken again")
        #expect(taken.key == Self.key("b.md"))
        var forged = held
        forged.token = "someone-else"
        let lost = try await queue.renew([held, expiring, forged], duration: Self.leaseDuration)
        #expect(lost == [expiring.token, forged.token], "the expired and the never-held leases are reported lost, the renewed one not")
        #expect(try await queue.complete([Completion(lease: held, result: .deleted)]) == [.applied], "the renewed lease outlived its first expiry")
        #expect(try await queue.complete([Completion(lease: expiring, result: .deleted)]) == [.leaseLost])
        #expect(try await queue.complete([Completion(lease: taken, result: .deleted)]) == [.applied])
    }

    public func retriesWithBackoffThenDeadLetters() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let error = SluiceError(.io, "disk hiccup", isRetryable: true)
        for attempt in 1...2 {
            let held = try #require(try await lease(queue).first)
            #expect(held.attempts == attempt - 1)
            let outcome = try await queue.fail(held, error: error)
            guard case .willRetry(let at) = outcome else {
                Issue.record("attempt \(attempt): expected a retry, got \(outcome)")
                return
            }
            let ceiling = Self.retry.ceiling(afterAttempt: attempt)
            #expect(at >= clock.now() && at <= clock.now() + ceiling, "full jitter within [0, \(ceiling)]")
            if at > clock.now() { #expect(try await lease(queue).isEmpty, "not before the backoff ends") }
            clock.advance(by: ceiling)
        }
        let last = try #require(try await lease(queue).first)
        #expect(try await queue.fail(last, error: error) == .deadLettered)
        #expect(try await lease(queue).isEmpty)
        let letters = try await queue.deadLetters(tenant: nil)
        #expect(letters.map(\.key) == [Self.key("a.md")] && letters.first?.reason == "disk hiccup" && letters.first?.attempts == 3)
        #expect(try await queue.nextWakeTime() == nil, "dead letters are not pending work")
        #expect(try await queue.retryDeadLetters(tenant: nil) == 1)
        let revived = try #require(try await lease(queue).first)
        #expect(revived.attempts == 0)
    }

    public func deadLettersPermanentFailuresAtOnce() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let held = try #require(try await lease(queue).first)
        #expect(try await queue.fail(held, error: SluiceError(.io, "permission denied")) == .deadLettered)
        #expect(try await queue.deadLetters(tenant: try TenantID("acme")).count == 1)
        #expect(try await queue.deadLetters(tenant: try TenantID("other")).isEmpty)
    }

    public func newChangeRevivesDeadLetter() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let held = try #require(try await lease(queue).first)
        _ = try await queue.fail(held, error: SluiceError(.io, "broken"))
        let outcome = try await queue.enqueue([Self.change("a.md")])
        #expect(outcome.first.map { if case .coalesced = $0 { true } else { false } } == true, "still one row per document")
        clock.advance(by: .seconds(1))
        let revived = try #require(try await lease(queue).first)
        #expect(revived.attempts == 0)
        #expect(try await queue.deadLetters(tenant: nil).isEmpty)
    }
}
