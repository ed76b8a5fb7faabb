import Foundation
import SluiceCore
import Synchronization
import Testing

@testable import SluiceHTTP

/// `SharedReadings`: the progress and stats of a scope are read at most a
/// tenth of the time, however many callers poll.
@Suite struct SharedReadingsTests {
    /// A clock moved by hand, forward or (as a wall clock set back) backward.
    final class Clock: SluiceClock {
        private let time = Mutex(Timestamp(milliseconds: 1_800_000_000_000))
        func now() -> Timestamp { time.withLock { $0 } }
        func advance(by duration: Duration) { time.withLock { $0 = $0 + duration } }
        func sleep(until deadline: Timestamp) async throws { try await Task.sleep(for: deadline - now()) }
    }

    /// Counts the readings that ran, gives each a number, and moves the
    /// manual clock by what each reading costs.
    final class Reader: Sendable {
        let reads = Atomic<Int>(0)
        let failNext = Atomic<Bool>(false)
        let clock: Clock
        let cost: Duration
        let pause: Duration

        init(clock: Clock, cost: Duration, pause: Duration = .zero) {
            self.clock = clock
            self.cost = cost
            self.pause = pause
        }

        func read() async throws -> Int {
            let number = reads.add(1, ordering: .relaxed).newValue
            try await Task.sleep(for: pause)
            clock.advance(by: cost)
            if failNext.exchange(false, ordering: .relaxed) { throw CancellationError() }
            return number
        }
    }

    @Test func callersDuringAReadingWaitForItInsteadOfStartingTheirOwn() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock)
        let reader = Reader(clock: clock, cost: .milliseconds(40), pause: .milliseconds(100))
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await shared.value("acme") { try await reader.read() } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: 1, count: 50))
        #expect(reader.reads.load(ordering: .relaxed) == 1)
    }

    @Test func aReadingIsServedForNineTimesWhatItTookThenReadAgain() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock)
        let reader = Reader(clock: clock, cost: .milliseconds(40))
        #expect(try await shared.value("acme") { try await reader.read() } == 1)
        clock.advance(by: .milliseconds(359))
        #expect(try await shared.value("acme") { try await reader.read() } == 1, "fresh for 9 x 40 ms")
        #expect(try await shared.value("globex") { try await reader.read() } == 2, "another scope is read on its own")
        clock.advance(by: .milliseconds(1))
        #expect(try await shared.value("acme") { try await reader.read() } == 3, "360 ms after it was taken, read again")
        #expect(reader.reads.load(ordering: .relaxed) == 3)
    }

    @Test func aReadingUnderAMillisecondIsNotReused() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock)
        let reader = Reader(clock: clock, cost: .zero)
        #expect(try await shared.value("acme") { try await reader.read() } == 1)
        #expect(try await shared.value("acme") { try await reader.read() } == 2)
    }

    @Test func aReadingIsNotServedOnceTheClockGoesBackBeforeIt() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock)
        let reader = Reader(clock: clock, cost: .milliseconds(40))
        #expect(try await shared.value("acme") { try await reader.read() } == 1)
        clock.advance(by: .milliseconds(-1))
        #expect(try await shared.value("acme") { try await reader.read() } == 2, "taken in what is now the future")
    }

    @Test func aFailedReadingIsNotKept() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock)
        let reader = Reader(clock: clock, cost: .milliseconds(40))
        reader.failNext.store(true, ordering: .relaxed)
        await #expect(throws: CancellationError.self) { try await shared.value("acme") { try await reader.read() } }
        #expect(try await shared.value("acme") { try await reader.read() } == 2)
    }

    @Test func staleScopesAreDroppedOncePastTheLimit() async throws {
        let clock = Clock()
        let shared = SharedReadings<Int>(clock: clock, pruneAt: 4)
        let reader = Reader(clock: clock, cost: .milliseconds(1))
        for tenant in 0..<10 {
            _ = try await shared.value("t\(tenant)") { try await reader.read() }
            clock.advance(by: .seconds(1))
        }
        #expect(shared.count <= 4, "every reading is stale a second later: the map never holds more than the limit")
        #expect(reader.reads.load(ordering: .relaxed) == 10)
    }
}
