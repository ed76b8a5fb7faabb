import SluiceCore
import Testing

/// The queue contract, continued: priorities, fairness, expiries, abandoned and released leases, depth.
extension JobQueueConformance {
    public func leasesByPriority() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("low.md", .low)])
        clock.advance(by: .milliseconds(10))
        try await queue.enqueue([Self.change("normal.md", .normal)])
        clock.advance(by: .milliseconds(10))
        try await queue.enqueue([Self.change("high.md", .high), Self.change("raised.md", .low)])
        try await queue.enqueue([Self.change("raised.md", .high)])
        try await queue.enqueue([Self.change("raised.md", .low)])
        clock.advance(by: .seconds(3))
        let order = try await lease(queue).map(\.key.docId.rawValue)
        #expect(order == ["high.md", "raised.md", "normal.md", "low.md"], "coalesced changes keep the highest priority")
    }

    /// Within a priority, leasing goes round the tenants: one that queued
    /// 2,000 documents first does not hold back another's ten, nor a third's one.
    public func sharesLeasesFairlyAcrossTenants() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        for start in stride(from: 0, to: 2000, by: 500) {
            try await queue.enqueue((start..<(start + 500)).map { Self.change("doc\($0).md", .low, tenant: "big") })
        }
        clock.advance(by: .milliseconds(10))
        try await queue.enqueue((0..<10).map { Self.change("s\($0).md", .low, tenant: "small") })
        try await queue.enqueue([Self.change("one.md", .low, tenant: "tiny")])
        clock.advance(by: .seconds(3))
        let first = try await lease(queue, limit: 20)
        let byTenant = Dictionary(grouping: first, by: \.key.tenant.rawValue).mapValues(\.count)
        #expect(first.count == 20)
        #expect((byTenant["small"] ?? 0) >= 5 && byTenant["tiny"] == 1, "every tenant with ready work gets its share: \(byTenant)")
        let second = try await lease(queue, limit: 20)
        let small = (first + second).filter { $0.key.tenant.rawValue == "small" }.count
        #expect(small == 10, "the small tenant's ten are leased within two batches, not after 2,000 others")
        // Alone again, a tenant's work fills whole batches.
        let third = try await lease(queue, limit: 20)
        #expect(third.count == 20 && third.allSatisfy { $0.key.tenant.rawValue == "big" })
    }

    /// For a backend whose shares grow (SQLite; not part of `runAll`): a
    /// tenant's share of a batch grows with each lease its onboarding has had
    /// (an eighth of the batch, then doubling up to the whole batch), so long
    /// backlogs are leased in long runs; and a tenant whose backlog just
    /// filled from empty is leased from first, whatever the others' shares
    /// have grown to.
    public func growsSharesButServesNewOnboardingsFirst() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        for tenant in ["a", "b"] {
            try await queue.enqueue((0..<200).map { Self.change("doc\($0).md", .low, tenant: tenant) })
        }
        clock.advance(by: .seconds(3))
        func shares(_ leases: [Lease]) -> [String: Int] { Dictionary(grouping: leases, by: \.key.tenant.rawValue).mapValues(\.count) }
        // An eighth (5) from each as newcomers, then a round of 10 each, then what is left (10) from a, whose share is 20 now.
        #expect(shares(try await lease(queue, limit: 40)) == ["a": 25, "b": 15])
        #expect(shares(try await lease(queue, limit: 40)) == ["a": 20, "b": 20])
        for _ in 0..<2 {
            let whole = shares(try await lease(queue, limit: 40))
            #expect(whole.count == 1 && whole.values.first == 40, "grown shares: a whole batch from one tenant: \(whole)")
        }
        try await queue.enqueue((0..<3).map { Self.change("new\($0).md", .low, tenant: "late") })
        clock.advance(by: .seconds(3))
        let arrived = try await lease(queue, limit: 40)
        #expect(shares(arrived)["late"] == 3, "a new onboarding goes first: \(shares(arrived))")
        for held in arrived where held.key.tenant.rawValue == "late" {
            #expect(try await queue.complete([Completion(lease: held, result: .deleted)]) == [.applied])
        }
        // Its backlog emptied; a change that fills it again starts another onboarding, first again.
        try await queue.enqueue([Self.change("again.md", .low, tenant: "late")])
        clock.advance(by: .seconds(3))
        #expect(shares(try await lease(queue, limit: 40))["late"] == 1)
    }

    /// For a backend whose shares grow (SQLite): newcomers go first, but take
    /// all but a first share of a batch at most, so tenants whose backlogs
    /// empty and fill again and again cannot hold back one already served.
    public func newcomersCannotHoldBackATenantAlreadyServed() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue((0..<200).map { Self.change("doc\($0).md", .low, tenant: "z-big") })
        clock.advance(by: .seconds(3))
        var big = 0
        for _ in 0..<3 { big += try await lease(queue, limit: 40).count }
        #expect(big == 120, "alone, the tenant takes whole batches")
        var served = 0
        for _ in 0..<3 {
            // Eight tenants whose backlogs were empty: 40 documents, a whole batch of newcomers.
            try await queue.enqueue((0..<8).flatMap { tenant in (0..<5).map { Self.change("d\($0).md", .low, tenant: "n\(tenant)") } })
            clock.advance(by: .seconds(3))
            let leases = try await lease(queue, limit: 40)
            #expect(leases.count == 40)
            served += leases.filter { $0.key.tenant.rawValue == "z-big" }.count
            for held in leases where held.key.tenant.rawValue != "z-big" {
                #expect(try await queue.complete([Completion(lease: held, result: .deleted)]) == [.applied])
            }
        }
        #expect(served >= 5, "the walk reached the tenant already served within three batches of newcomers: \(served)")
    }

    public func deadLettersAfterThreeLeaseExpiries() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("poison.md")])
        clock.advance(by: .seconds(1))
        for _ in 0..<3 {
            #expect(try await lease(queue).count == 1)
            clock.advance(by: Self.leaseDuration + .seconds(1))
        }
        #expect(try await lease(queue).isEmpty)
        let letter = try #require(try await queue.deadLetters(tenant: nil).first)
        #expect(letter.reason.contains("lease expired 3 times"))
    }

    public func releasesAbandonedLeases() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md"), Self.change("b.md")])
        clock.advance(by: .seconds(1))
        let held = try await lease(queue, limit: 1)
        #expect(held.count == 1)
        #expect(try await queue.releaseAbandonedLeases(blaming: []) == 1)
        #expect(try await lease(queue).count == 2, "the abandoned document is leasable at once")
    }

    /// A process that died three times in the middle of a batch: only the
    /// document it was extracting each time becomes a dead letter, not the
    /// nine others of its batch.
    public func blamesOnlyTheDocumentBeingProcessed() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue((0..<10).map { Self.change("doc\($0).md") })
        clock.advance(by: .seconds(1))
        for _ in 0..<QueueEntry.maxLeaseExpiries {
            let batch = try await lease(queue, limit: 10)
            #expect(batch.count == 10)
            let poison = try #require(batch.first { $0.key.docId.rawValue == "doc3.md" })
            #expect(try await queue.releaseAbandonedLeases(blaming: [poison.token]) == 10)
        }
        #expect(try await queue.deadLetters(tenant: nil).map(\.key.docId.rawValue) == ["doc3.md"])
        let survivors = try await lease(queue, limit: 10)
        #expect(survivors.count == 9 && survivors.allSatisfy { $0.attempts == 0 })
    }

    public func releasedLeaseIsLeasableWithoutAttempt() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md")])
        clock.advance(by: .seconds(1))
        let held = try #require(try await lease(queue).first)
        try await queue.release([held])
        let again = try #require(try await lease(queue).first)
        #expect(again.attempts == 0 && again.revision == held.revision)
    }

    public func postponesWithoutCountingAnAttempt() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("growing.log.md")])
        clock.advance(by: .seconds(1))
        let held = try #require(try await lease(queue).first)
        try await queue.postpone(held, until: clock.now() + .seconds(1))
        #expect(try await lease(queue).isEmpty, "not before the postponed time")
        clock.advance(by: .seconds(1))
        let again = try #require(try await lease(queue).first)
        #expect(again.attempts == 0 && again.revision == held.revision)
    }

    public func countsDepth() async throws {
        let clock = ManualClock()
        let queue = try await make(clock)
        try await queue.enqueue([Self.change("a.md", .high), Self.change("b.md", .low), Self.change("c.md", .low)])
        #expect(try await queue.depth() == QueueDepth(ready: [:], delayed: 3, leased: 0, dead: 0))
        clock.advance(by: .seconds(1))
        _ = try await lease(queue, limit: 1)
        let depth = try await queue.depth()
        #expect(depth.ready[.low] == 2 && depth.ready[.high, default: 0] == 0 && depth.leased == 1 && depth.pending == 3)
    }
}
