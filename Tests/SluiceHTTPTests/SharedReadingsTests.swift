import Foundation
import Synchronization
import Testing

@testable import SluiceHTTP

/// `SharedReadings`: the progress and stats of a scope are read at most a
/// tenth of the time, however many callers poll.
@Suite struct SharedReadingsTests {
    /// Counts the readings that ran and gives each a number.
    final class Reader: Sendable {
        let reads = Atomic<Int>(0)
        let failNext = Atomic<Bool>(false)
        let pause: Duration

        init(pause: Duration) { self.pause = pause }

        func read() async throws -> Int {
            let number = reads.add(1, ordering: .relaxed).newValue
            try await Task.sleep(for: pause)
            if failNext.exchange(false, ordering: .relaxed) { throw CancellationError() }
            return number
        }
    }

    @Test func callersDuringAReadingWaitForItInsteadOfStartingTheirOwn() async throws {
        let shared = SharedReadings<Int>()
        let reader = Reader(pause: .milliseconds(100))
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await shared.value("acme") { try await reader.read() } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 1, count: 50))
        #expect(reader.reads.load(ordering: .relaxed) == 1)
    }

    @Test func aReadingIsReusedWhileYoungAndReadAgainOnceOld() async throws {
        let shared = SharedReadings<Int>(share: 10)
        let reader = Reader(pause: .milliseconds(50))
        #expect(try await shared.value("acme") { try await reader.read() } == 1)
        // At once: the reading (50 ms or more) is fresh for ten times what it took, half a second at least.
        #expect(try await shared.value("acme") { try await reader.read() } == 1)
        // Another scope is read on its own.
        #expect(try await shared.value("globex") { try await reader.read() } == 2)
        // Long after (the reading would have had to take 300 ms to still be fresh): read again.
        try await Task.sleep(for: .seconds(3))
        #expect(try await shared.value("acme") { try await reader.read() } == 3)
        #expect(reader.reads.load(ordering: .relaxed) == 3)
    }

    @Test func aFailedReadingIsNotKept() async throws {
        let shared = SharedReadings<Int>()
        let reader = Reader(pause: .milliseconds(20))
        reader.failNext.store(true, ordering: .relaxed)
        await #expect(throws: CancellationError.self) { try await shared.value("acme") { try await reader.read() } }
        #expect(try await shared.value("acme") { try await reader.read() } == 2)
    }

    @Test func staleScopesAreDroppedOncePastTheLimit() async throws {
        let shared = SharedReadings<Int>(share: 0, pruneAt: 4)
        let reader = Reader(pause: .zero)
        for tenant in 0..<10 { _ = try await shared.value("t\(tenant)") { try await reader.read() } }
        // With a share of 0 every reading is stale once read: the map never holds more than the limit.
        #expect(shared.count <= 4)
        #expect(reader.reads.load(ordering: .relaxed) == 10)
    }
}
