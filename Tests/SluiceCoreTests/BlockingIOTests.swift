import Foundation
import SluiceCore
import Synchronization
import Testing

/// `BlockingIO.run(within:)`: the deadline of extraction on untrusted input.
@Suite struct BlockingIOTests {
    struct Late: Error {}

    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    /// A body that ends in time takes its deadline with it: at a thousand
    /// documents a second, a minute's deadlines would otherwise stay
    /// scheduled, sixty thousand of them, each holding what it captured.
    @Test func aBodyThatEndsCancelsItsDeadline() async throws {
        for index in 0..<1000 {
            #expect(try await BlockingIO.run(within: .seconds(60), orThrow: Late()) { index } == index)
        }
        // Other suites' bodies may be running meanwhile; a thousand left armed would show.
        #expect(BlockingIO.armedDeadlines < 100, "\(BlockingIO.armedDeadlines) deadlines still armed")
    }

    /// A body that ends past its limit timed out, even before the timer came
    /// round (here at once: a limit of zero). A converter's own deadline, as
    /// long and started a moment later, used to win that race on a busy machine.
    @Test func aBodyEndingPastItsLimitTimedOutWhateverTheTimer() async throws {
        for _ in 0..<20 {
            await #expect(throws: Late.self) { try await BlockingIO.run(within: .zero, orThrow: Late()) { 1 } }
        }
    }

    /// A limit too long to count in nanoseconds is no limit, not a crash.
    @Test func aLimitPastCountingNeverComes() async throws {
        #expect(try await BlockingIO.run(within: .seconds(Int64.max), orThrow: Late()) { 7 } == 7)
    }

    /// Bodies that timed out run on to their end, and while they fill the
    /// queue's threads the next body waits for one. Its limit counts from its
    /// start: a quick document is not failed for time spent behind another's.
    @Test func theLimitCountsFromTheBodysStartNotFromTheCall() async throws {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let stop = Flag()
        defer { stop.set() }
        // Each spins 400 ms from its own start (a CPU-bound extraction; spinning, not
        // sleeping, so no extra thread is lent meanwhile) and is given up on after 50 ms,
        // so together they hold every thread of the queue for a while.
        for _ in 0..<threads {
            await #expect(throws: Late.self) {
                try await BlockingIO.run(within: .milliseconds(50), orThrow: Late()) {
                    let end = ContinuousClock.now + .milliseconds(400)
                    while ContinuousClock.now < end && !stop.isSet {}
                }
            }
        }
        // It waits for a thread, then takes no time: its 200 ms had not begun while it waited.
        let answer = try await BlockingIO.run(within: .milliseconds(200), orThrow: Late()) { 42 }
        #expect(answer == 42)
    }

    /// When one body started, whether it ended, and when its deadline fired
    /// (the error is made then) with whether the body had ended by that time.
    final class Probe: Sendable {
        private let state = Mutex<(started: ContinuousClock.Instant?, ended: Bool, fired: ContinuousClock.Instant?, endedBeforeFiring: Bool, fires: Int)>(
            (nil, false, nil, false, 0))
        func start() { state.withLock { $0.started = .now } }
        func end() { state.withLock { $0.ended = true } }
        func fire() -> Late {
            state.withLock { state in
                state.fired = .now
                state.endedBeforeFiring = state.ended
                state.fires += 1
            }
            return Late()
        }
        var started: ContinuousClock.Instant? { state.withLock { $0.started } }
        var ended: Bool { state.withLock { $0.ended } }
        var fires: Int { state.withLock { $0.fires } }
        var fired: ContinuousClock.Instant? { state.withLock { $0.fired } }
        var endedBeforeFiring: Bool { state.withLock { $0.endedBeforeFiring } }
    }

    /// The error of a deadline is made once: when a body that timed out ends,
    /// it is not made again. It was, by the rule that a body ending past its
    /// limit timed out, and an error that records when it was made (these
    /// tests' probes) then said the deadline came only when the body ended.
    @Test func theTimeoutIsMadeOnceThoughTheBodyEndsPastItsLimit() async throws {
        let probe = Probe()
        await #expect(throws: Late.self) {
            try await BlockingIO.run(within: .milliseconds(20), orThrow: probe.fire()) {
                let end = ContinuousClock.now + .milliseconds(200)
                while ContinuousClock.now < end {}
                probe.end()
            }
        }
        while !probe.ended { try await Task.sleep(for: .milliseconds(10)) }
        // The body's thread answers (or not) just after it ends.
        try await Task.sleep(for: .milliseconds(200))
        #expect(probe.fires == 1)
    }

    /// Every thread of the queue is held by a body past its limit: each
    /// deadline still fires on time, counted from its body's start (before,
    /// the deadlines waited on the same threads, so a CPU-bound body ran to
    /// its end unchallenged).
    @Test func deadlinesFireWhileEveryThreadIsBusy() async throws {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    let probe = Probe()
                    await #expect(throws: Late.self) {
                        try await BlockingIO.run(within: .milliseconds(50), orThrow: probe.fire()) {
                            probe.start()
                            let end = ContinuousClock.now + .milliseconds(500)
                            while ContinuousClock.now < end {}
                            probe.end()
                        }
                    }
                    // Measured when the deadline fired, not when this task resumed (in a busy test
                    // process that can be seconds later).
                    let started = try #require(probe.started)
                    let fired = try #require(probe.fired)
                    #expect(!probe.endedBeforeFiring, "given up on before it ended")
                    #expect(fired - started < .milliseconds(400), "the deadline did not wait for the body")
                }
            }
            try await group.waitForAll()
        }
    }

    /// One timer serves every deadline: a short limit armed while a long one
    /// is pending still fires on time, and so does one armed after an earlier
    /// deadline went with its body (the timer then fires for nothing first).
    @Test func everyDeadlineFiresOnTimeWhateverWasArmedBefore() async throws {
        let stop = Flag()
        defer { stop.set() }
        // A long limit, pending throughout (its body sleeps, holding one thread).
        let long = Task {
            try await BlockingIO.run(within: .seconds(60), orThrow: Late()) { usleep(1_500_000) }
        }
        // A body that ends well before its 100 ms: its deadline goes with it, and the timer,
        // set for it, fires for nothing before the 150 ms limit below (armed later) is due.
        // The 50 ms limit after it is earlier than every pending one: the timer is set again.
        #expect(try await BlockingIO.run(within: .milliseconds(100), orThrow: Late()) { 1 } == 1)
        for limit in [150, 50] {
            let probe = Probe()
            await #expect(throws: Late.self) {
                try await BlockingIO.run(within: .milliseconds(limit), orThrow: probe.fire()) {
                    probe.start()
                    let end = ContinuousClock.now + .milliseconds(1_000)
                    while ContinuousClock.now < end && !stop.isSet {}
                    probe.end()
                }
            }
            let started = try #require(probe.started)
            let fired = try #require(probe.fired)
            #expect(!probe.endedBeforeFiring, "a \(limit) ms limit fired before its body ended")
            #expect(fired - started < .milliseconds(limit + 400), "a \(limit) ms limit fired after \(fired - started)")
        }
        try await long.value
    }
}
