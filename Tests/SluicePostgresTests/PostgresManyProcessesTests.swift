import Foundation
import SluiceCore
import SluicePostgres
import SluiceTesting
import Synchronization
import Testing

/// Several stores on one schema, each with its own connections and owner, as
/// processes on different hosts would be, on the database's clock.
@Suite(.timeLimit(.minutes(5))) struct PostgresManyProcessesTests {
    static let documents = 300

    struct Tally: Sendable {
        var held: Set<DocumentKey> = []
        var doubleHeld = 0
        var leasedBy: [Int] = [0, 0, 0]
    }

    /// What the worker tasks share.
    final class Shared: Sendable {
        let tally = Mutex(Tally())
        let done = Atomic(false)
    }

    func change(_ index: Int) throws -> Change {
        let docId = "doc\(index).md"
        return Change(
            key: DocumentKey(tenant: try TenantID("tenant\(index % 5)"), docId: try DocumentID(docId)), kind: .upsert,
            origin: .file(FileLocation(scanRoot: "/r", tenantDirectory: "/r/t", path: "/r/t/\(docId)")), priority: .normal)
    }

    /// `body`'s value, or nil after a passing storage error.
    static func retrying<T>(_ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let error as SluiceError where error.code == .storage && error.isRetryable {
            return nil
        }
    }

    /// Three stores lease and complete 300 documents at once while a fourth
    /// queues a newer revision of every tenth one, often while it is leased:
    /// no document is held by two at once, and each ends recorded at its
    /// newest revision with nothing left queued.
    @Test
    func threeProcessesShareTheQueueAndEveryDocumentEndsAtItsNewestRevision() async throws {
        let location = try TestDatabase.freshLocation()
        func open(_ owner: String) async throws -> PostgresStore {
            try await PostgresStore.open(
                location, options: PostgresStore.Options(settle: SettlePolicy(window: .zero, maximum: .zero), maximumConnections: 3, owner: owner))
        }
        let producer = try await open("producer")
        let workers = [try await open("worker-a"), try await open("worker-b"), try await open("worker-c")]
        defer { Task { for store in workers + [producer] { await store.close() } } }
        var newest: [DocumentKey: Int64] = [:]
        for (index, outcome) in try await producer.enqueue((0..<Self.documents).map(change)).enumerated() {
            newest[try change(index).key] = outcome.revision
        }

        let shared = Shared()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, store) in workers.enumerated() {
                group.addTask {
                    var idle = 0
                    while idle < 20 {
                        // As the worker does, a passing storage error (a deadlock PostgreSQL broke, a
                        // dropped connection) is retried; any other fails the test.
                        guard let leases = try await Self.retrying({ try await store.lease(limit: 10, duration: .seconds(30)) }) else {
                            try await Task.sleep(for: .milliseconds(50))
                            continue
                        }
                        if leases.isEmpty {
                            idle += shared.done.load(ordering: .relaxed) ? 1 : 0
                            try await Task.sleep(for: .milliseconds(20))
                            continue
                        }
                        idle = 0
                        shared.tally.withLock { tally in
                            tally.leasedBy[number] += leases.count
                            for lease in leases where !tally.held.insert(lease.key).inserted { tally.doubleHeld += 1 }
                        }
                        try await Task.sleep(for: .milliseconds(5))  // the work, during which newer changes arrive
                        shared.tally.withLock { tally in for lease in leases { tally.held.remove(lease.key) } }
                        _ = try await Self.retrying { try await store.complete(leases.map { Completion(lease: $0, result: .skipped(contentHash: nil, reason: "test")) }) }
                    }
                }
            }
            // Newer revisions of every tenth document while the workers run.
            for round in 0..<3 {
                try await Task.sleep(for: .milliseconds(30))
                let hot = try stride(from: round, to: Self.documents, by: 10).map(change)
                for (change, outcome) in zip(hot, try await producer.enqueue(hot)) { newest[change.key] = outcome.revision }
            }
            shared.done.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }

        let final = shared.tally.withLock { $0 }
        #expect(final.doubleHeld == 0, "a document was leased by two processes at once")
        #expect(final.leasedBy.filter { $0 > 0 }.count >= 2, "the work was shared: \(final.leasedBy)")
        #expect(try await producer.depth() == QueueDepth(), "nothing left queued, leased or dead")
        let states = try await producer.documentStates(Array(newest.keys))
        #expect(states.count == Self.documents)
        let behind = newest.filter { states[$0.key]?.revision != $0.value }
        #expect(behind.isEmpty, "\(behind.count) documents not at their newest revision")
    }

    /// Without a test clock, times are the database's: a change is ready at
    /// the database's now plus the settle window, whatever this process's clock says.
    @Test func readyTimesComeFromTheDatabaseClock() async throws {
        let settle = SettlePolicy(window: .seconds(3600), maximum: .seconds(7200))
        let store = try await PostgresStore.open(try TestDatabase.freshLocation(), options: PostgresStore.Options(settle: settle, maximumConnections: 2))
        defer { Task { await store.close() } }
        let before = Timestamp(Date())
        try await store.enqueue([try change(1)])
        let entry = try #require(try await store.entry(try change(1).key))
        let after = Timestamp(Date())
        // Loopback: the two clocks agree to well within a minute; the hour is the settle window.
        #expect(entry.readyAt - before > .seconds(3540) && entry.readyAt - after < .seconds(3660), "\(entry.readyAt)")
        #expect(try await store.lease(limit: 10, duration: .seconds(30)).isEmpty, "not ready for an hour of database time")
    }

    /// An idle worker of one process wakes when another process queues work,
    /// and an API request waiting in one hears that another completed its
    /// document: the other store's doorbells ring, which nothing else rings
    /// here (the listening store neither queues nor completes anything).
    @Test func anIdleStoreHearsWorkQueuedAndCompletedByAnother() async throws {
        let location = try TestDatabase.freshLocation()
        let quiet = PostgresStore.Options(settle: SettlePolicy(window: .zero, maximum: .zero), maximumConnections: 2)
        var hearing = quiet
        hearing.listens = true
        let producer = try await PostgresStore.open(location, options: quiet)
        let listener = try await PostgresStore.open(location, options: hearing)
        defer { Task { await producer.close(); await listener.close() } }

        /// Whether `bell` rang after `act`, waiting up to 30 s (a bound for a loaded machine, not a speed).
        func rings(_ bell: Doorbell, after act: () async throws -> Void) async throws -> Bool {
            let ticket = bell.ticket()
            try await act()
            await bell.wait(until: SystemClock().now() + .seconds(30), clock: SystemClock(), since: ticket)
            return bell.ticket() != ticket
        }
        // The listener's LISTEN may still be on its way: the first change that is heard counts.
        var heard = false
        for index in 0..<3 where !heard {
            heard = try await rings(listener.readiness) { try await producer.enqueue([try change(index)]) }
        }
        #expect(heard, "a change queued by another store was heard")
        let leases = try await producer.lease(limit: 10, duration: .seconds(30))
        #expect(!leases.isEmpty)
        let completed = try await rings(listener.completions) {
            _ = try await producer.complete(leases.map { Completion(lease: $0, result: .skipped(contentHash: nil, reason: "test")) })
        }
        #expect(completed, "a completion by another store was heard")
    }
}
