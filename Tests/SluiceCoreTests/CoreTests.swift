import Foundation
import SluiceCore
import SluiceTesting
import Testing

@Suite struct IdentityTests {
    @Test func uuidV5MatchesTheRFCExample() {
        // RFC 9562 appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
        let dns = UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!
        #expect(ChunkID.uuidV5(namespace: dns, name: "www.example.com").uuidString.lowercased() == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
    }

    @Test func chunkIdsAreDeterministicAndDistinct() throws {
        let tenant = try TenantID("acme")
        let doc = try DocumentID("a/b.md")
        #expect(ChunkID.make(tenant: tenant, docId: doc, ordinal: 0) == ChunkID.make(tenant: tenant, docId: doc, ordinal: 0))
        let ids = Set((0..<100).map { ChunkID.make(tenant: tenant, docId: doc, ordinal: $0) }
            + [ChunkID.make(tenant: try TenantID("other"), docId: doc, ordinal: 0)])
        #expect(ids.count == 101)
    }

    @Test func tombstoneMarkerIsDeterministicAndNeverAContentHash() throws {
        let tenant = try TenantID("acme")
        let doc = try DocumentID("a.md")
        let marker = Tombstone.marker(tenant: tenant, docId: doc)
        #expect(marker == "tombstone:" + ContentHash.of("acme\u{0}a.md").hex)
        #expect(ContentHash(hex: marker) == nil)
    }

    @Test func contentHashStreamsToTheSameDigest() {
        let data = Array(repeating: UInt8(7), count: 3_000_000)
        var hasher = StreamingHasher()
        for start in stride(from: 0, to: data.count, by: 1 << 20) {
            hasher.update(data[start..<min(start + (1 << 20), data.count)])
        }
        #expect(hasher.finalize() == ContentHash.of(data))
        #expect(ContentHash.of("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func tenantAndDocumentIdsAreValidated() throws {
        for bad in ["", ".hidden", "a b", "a/b", String(repeating: "x", count: 65)] {
            #expect(throws: SluiceError.self, "\(bad)") { try TenantID(bad) }
        }
        #expect(try TenantID("acme-corp_2.eu").rawValue == "acme-corp_2.eu")
        for bad in ["", "/abs", "a//b", "../x", "a/./b"] {
            #expect(throws: SluiceError.self, "\(bad)") { try DocumentID(bad) }
        }
        // Each rule says what is wrong; names next to a rule pass.
        for (bad, says) in [
            ("", "is empty"), (String(repeating: "x", count: 1025), "longer than 1024 bytes"), ("/a.md", "starts with '/'"),
            ("a\u{0}b", "NUL character"), ("next\u{85}line.md", "C1 control character"), ("x\u{9F}", "C1 control character"),
            ("a/", "empty path segment"), ("a//b", "empty path segment"), (".", "'.' or '..'"), ("a/..", "'.' or '..'"),
            ("../a", "'.' or '..'"), ("a/./b", "'.' or '..'"),
        ] {
            let error = #expect(throws: SluiceError.self, "\(bad.debugDescription)") { try DocumentID(bad) }
            #expect(error?.message.contains(says) == true, "\(bad.debugDescription): \(error?.message ?? "")")
        }
        for good in ["a/.b", "..a", "a..", "x/y/z.md", "\u{e9}t\u{e9}/\u{fc}.md", "no\u{A0}break.md", "\u{1F600}.md", String(repeating: "x", count: 1024)] {
            #expect(try DocumentID(good).rawValue == good)
        }
        #expect(try DocumentID("Cafe\u{301}.md") == DocumentID("Caf\u{e9}.md"), "NFC-normalized")
    }

    @Test func byteOrderIsTheOrderOfUTF8Bytes() {
        let names = ["b", "a", "", "ab", "a\u{0}", "\u{e9}", "e\u{301}", "Z", "\u{1F600}", "\u{FFFD}", "aa", "a/b", "a0"]
        let expected = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(names.sorted { $0.precedesInByteOrder($1) } == expected)
        #expect(!"same".precedesInByteOrder("same"))
    }

    @Test func timesAreISO8601InJSON() throws {
        struct Row: Codable, Equatable { var at: Timestamp }
        let row = Row(at: Timestamp(milliseconds: 1_796_025_709_266))
        let json = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
        #expect(json == #"{"at":"2026-11-30T08:01:49.266Z"}"#)
        #expect(try JSONDecoder().decode(Row.self, from: Data(json.utf8)) == row, "every millisecond survives")
        #expect(try JSONDecoder().decode(Row.self, from: Data(#"{"at":"2026-11-30T08:01:49Z"}"#.utf8)).at.milliseconds == 1_796_025_709_000)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Row.self, from: Data(#"{"at":"yesterday"}"#.utf8)) }
    }
}

@Suite struct PolicyTests {
    @Test func retryDelaysGrowExponentiallyWithFullJitter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(2000), maxDelay: .seconds(300))
        #expect(policy.ceiling(afterAttempt: 1) == .milliseconds(2000))
        #expect(policy.ceiling(afterAttempt: 3) == .milliseconds(8000))
        #expect(policy.ceiling(afterAttempt: 40) == .seconds(300))
        var generator = SplitMix64(seed: 1)
        let delays = (0..<200).map { _ in policy.delay(afterAttempt: 2, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(4000) })
        #expect(Set(delays).count > 50, "jittered, not constant")
        #expect(delays.contains { $0 < .milliseconds(1000) } && delays.contains { $0 > .milliseconds(3000) }, "full range")
    }

    @Test func settleReadinessIsBoundedByTheMaximum() {
        let policy = SettlePolicy(window: .milliseconds(50), maximum: .milliseconds(2000))
        let first = Timestamp(milliseconds: 0)
        #expect(policy.readyAt(firstChange: first, lastChange: first) == Timestamp(milliseconds: 50))
        #expect(policy.readyAt(firstChange: first, lastChange: Timestamp(milliseconds: 1000)) == Timestamp(milliseconds: 1050))
        #expect(policy.readyAt(firstChange: first, lastChange: Timestamp(milliseconds: 1990)) == Timestamp(milliseconds: 2000))
    }

    /// The busy window spans the gaps between the rewrites of a burst (a few
    /// hundred milliseconds) however short the quiet window is made for fast
    /// edits, and stays within the maximum; no window at all means no settling.
    @Test func theBusyWindowIsHalfASecondAtLeastWithinAQuarterOfTheMaximum() {
        let seconds2 = Duration.milliseconds(2000)
        #expect(SettlePolicy(window: .milliseconds(20), maximum: seconds2).busyWindow == .milliseconds(500))
        #expect(SettlePolicy(window: .milliseconds(50), maximum: seconds2).busyWindow == .milliseconds(500))
        #expect(SettlePolicy(window: .milliseconds(20), maximum: .seconds(10)).busyWindow == .milliseconds(500))
        #expect(SettlePolicy(window: .milliseconds(100), maximum: .seconds(10)).busyWindow == .milliseconds(1000))
        #expect(SettlePolicy(window: .milliseconds(20), maximum: .milliseconds(400)).busyWindow == .milliseconds(100))
        #expect(SettlePolicy(window: .seconds(3), maximum: .seconds(3)).busyWindow == .seconds(3))
        #expect(SettlePolicy(window: .zero, maximum: seconds2).busyWindow == .zero)
        #expect(SettlePolicy().window == .milliseconds(20), "a quiet edit is searchable within 40 ms (issue 17)")
    }

    @Test func byteBudgetLimitsWhatIsHeldAndLetsAnOversizedRequestThroughAlone() async {
        let budget = ByteBudget(capacity: 100)
        #expect(budget.tryAcquire(60))
        #expect(!budget.tryAcquire(50))
        budget.release(60)
        #expect(budget.tryAcquire(500), "larger than the budget, but nothing else is held")
        #expect(!budget.tryAcquire(1))
        budget.release(500)
        #expect(budget.bytesInUse == 0)
    }
}

/// Pure queue-row transitions, without any store.
@Suite struct QueueEntryTests {
    let settle = SettlePolicy(window: .milliseconds(50), maximum: .milliseconds(2000))
    let change = Change(
        key: DocumentKey(tenant: try! TenantID("t"), docId: try! DocumentID("a.md")), kind: .upsert,
        origin: .api(DocumentMeta(tenant: "t", docId: "a.md")), priority: .low)

    @Test func leaseThenNewerChangeThenCompleteKeepsTheRowQueued() {
        let t0 = Timestamp(milliseconds: 0)
        var entry = QueueEntry(change: change, revision: 1, now: t0, settle: settle)
        #expect(!entry.isLeasable(at: t0))
        #expect(entry.lease(token: "w1", now: Timestamp(milliseconds: 60), duration: .seconds(30)) == .leased)
        var newer = change
        newer.priority = .high
        entry.coalesce(newer, revision: 2, now: Timestamp(milliseconds: 100), settle: settle)
        #expect(entry.firstChangeAt == Timestamp(milliseconds: 100), "a change after the leased revision starts a new pending period")
        #expect(entry.complete(token: "w1", now: Timestamp(milliseconds: 200)) == .keepQueued)
        #expect(entry.hold == nil && entry.revision == 2 && entry.priority == .high && entry.supersededCount == 1)
        #expect(entry.isLeasable(at: Timestamp(milliseconds: 200)))
    }

    @Test func wrongOrExpiredTokenIsRejected() {
        var entry = QueueEntry(change: change, revision: 1, now: Timestamp(milliseconds: 0), settle: settle)
        _ = entry.lease(token: "w1", now: Timestamp(milliseconds: 100), duration: .seconds(1))
        #expect(entry.complete(token: "w2", now: Timestamp(milliseconds: 200)) == .rejected)
        #expect(entry.complete(token: "w1", now: Timestamp(milliseconds: 1100)) == .rejected, "expired")
        #expect(entry.hold != nil, "a rejected completion changes nothing")
    }

    @Test func failureOfASupersededRevisionCostsNoAttempt() {
        var entry = QueueEntry(change: change, revision: 1, now: Timestamp(milliseconds: 0), settle: settle)
        _ = entry.lease(token: "w1", now: Timestamp(milliseconds: 100), duration: .seconds(30))
        entry.coalesce(change, revision: 2, now: Timestamp(milliseconds: 150), settle: settle)
        var generator = SplitMix64(seed: 3)
        let effect = entry.fail(
            token: "w1", reason: "x", retryable: true, now: Timestamp(milliseconds: 200), policy: RetryPolicy(), using: &generator)
        #expect(effect == .superseded && entry.attempts == 0)
    }

    @Test func aRetryAfterIsHonored() {
        var entry = QueueEntry(change: change, revision: 1, now: Timestamp(milliseconds: 0), settle: settle)
        _ = entry.lease(token: "w1", now: Timestamp(milliseconds: 100), duration: .seconds(30))
        var generator = SplitMix64(seed: 3)
        let effect = entry.fail(
            token: "w1", reason: "429", retryable: true, now: Timestamp(milliseconds: 200),
            policy: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10)), notBefore: .seconds(30), using: &generator)
        #expect(effect == .retryAt(Timestamp(milliseconds: 30_200)), "not before the 30 s the destination asked for")
    }

    /// A rescan re-queues a file whose processing killed the process (its
    /// state was never recorded): the same version keeps its lease expiries,
    /// so it still ends as a dead letter, and stays one; new content starts over.
    @Test func theSameVersionAgainKeepsItsLeaseExpiries() throws {
        var versioned = change
        versioned.contentHash = ContentHash.of("v1")
        var entry = QueueEntry(change: versioned, revision: 1, now: Timestamp(milliseconds: 0), settle: settle)
        for round in 1...QueueEntry.maxLeaseExpiries {
            _ = entry.lease(token: "w\(round)", now: Timestamp(milliseconds: 100), duration: .seconds(30))
            entry.expireHold()
            entry.coalesce(versioned, revision: Int64(round + 1), now: Timestamp(milliseconds: 200), settle: settle)
        }
        #expect(entry.state == .dead && entry.leaseExpiries == QueueEntry.maxLeaseExpiries)
        var changed = change
        changed.contentHash = ContentHash.of("v2")
        entry.coalesce(changed, revision: 9, now: Timestamp(milliseconds: 300), settle: settle)
        #expect(entry.state == .queued && entry.leaseExpiries == 0, "new content is a new change")
    }

    /// A new file a scan queued unread (no hash) that kills the process: the
    /// rescan that reads it gives the row its version and keeps its expiries;
    /// from then on versions compare as above.
    @Test func aRowQueuedUnreadTakesTheFirstHashReadAsItsVersion() throws {
        var entry = QueueEntry(change: change, revision: 1, now: Timestamp(milliseconds: 0), settle: settle)
        #expect(entry.contentHash == nil)
        _ = entry.lease(token: "w1", now: Timestamp(milliseconds: 100), duration: .seconds(30))
        entry.expireHold()
        var read = change
        read.contentHash = ContentHash.of("v1")
        entry.coalesce(read, revision: 2, now: Timestamp(milliseconds: 200), settle: settle)
        #expect(entry.leaseExpiries == 1 && entry.contentHash == ContentHash.of("v1"))
        _ = entry.lease(token: "w2", now: Timestamp(milliseconds: 300), duration: .seconds(30))
        entry.expireHold()
        var changed = change
        changed.contentHash = ContentHash.of("v2")
        entry.coalesce(changed, revision: 3, now: Timestamp(milliseconds: 400), settle: settle)
        #expect(entry.leaseExpiries == 0, "another version starts over")
        entry.coalesce(change, revision: 4, now: Timestamp(milliseconds: 500), settle: settle)
        #expect(entry.contentHash == nil, "an unread change (a watched event) leaves the version unknown again")
    }
}
