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

    /// Bodies that timed out run on to their end, and while they fill the
    /// queue's threads the next body waits for one. Its limit counts from its
    /// start: a quick document is not failed for time spent behind another's.
    @Test func theLimitCountsFromTheBodysStartNotFromTheCall() async throws {
        let busyUntil = ContinuousClock.now + .milliseconds(1500)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let stop = Flag()
        defer { stop.set() }
        for _ in 0..<threads {
            await #expect(throws: Late.self) {
                try await BlockingIO.run(within: .milliseconds(50), orThrow: Late()) {
                    // Spins (a CPU-bound extraction) rather than sleeps, so no extra thread is lent meanwhile.
                    while ContinuousClock.now < busyUntil && !stop.isSet {}
                }
            }
        }
        let answer = try await BlockingIO.run(within: .milliseconds(500), orThrow: Late()) { 42 }
        #expect(answer == 42)
        #expect(ContinuousClock.now >= busyUntil - .milliseconds(200), "it waited for a thread, then ran at once")
    }

    @Test func aBodyPastItsLimitThrowsAndItsResultIsDropped() async throws {
        let ran = Flag()
        await #expect(throws: Late.self) {
            try await BlockingIO.run(within: .milliseconds(50), orThrow: Late()) {
                Thread.sleep(forTimeInterval: 0.3)
                ran.set()
            }
        }
        #expect(!ran.isSet, "thrown before the body ended")
    }
}
