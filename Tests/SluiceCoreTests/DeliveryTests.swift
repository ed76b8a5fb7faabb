import Foundation
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// A value shared with the tasks of a test.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func update(_ body: (inout Value) -> Void) { value.withLock { body(&$0) } }
    var current: Value { value.withLock { $0 } }
}

/// The delivery controls every remote call goes through, on a manual clock.
@Suite(.timeLimit(.minutes(5))) struct DeliveryTests {
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    @Test func concurrencyRampsUpWithinSecondsWhileTheDestinationIsHealthy() {
        var concurrency = AdaptiveConcurrency(maximum: 32, now: start)
        var now = start
        // 10 ms round trips, every slot in use: one step per window.
        while concurrency.limit < 32 && now - start < .seconds(5) {
            now = now + .milliseconds(10)
            concurrency.record(latency: .milliseconds(10), backpressure: false, saturated: true, now: now)
        }
        #expect(concurrency.limit == 32)
        #expect(now - start <= .seconds(1))
        for _ in 0..<100 {
            now = now + .milliseconds(10)
            concurrency.record(latency: .milliseconds(10), backpressure: false, saturated: true, now: now)
        }
        #expect(concurrency.limit == 32, "never above the maximum")
    }

    @Test func concurrencyGrowsOnlyWhenTheLimitIsUsed() {
        var concurrency = AdaptiveConcurrency(maximum: 32, initial: 4, now: start)
        var now = start
        for _ in 0..<200 {
            now = now + .milliseconds(10)
            concurrency.record(latency: .milliseconds(10), backpressure: false, saturated: false, now: now)
        }
        #expect(concurrency.limit == 4)
    }

    @Test func backpressureHalvesAndRisingLatencyTrims() {
        var concurrency = AdaptiveConcurrency(maximum: 64, initial: 40, now: start)
        var now = start
        for _ in 0..<10 {
            now = now + .milliseconds(25)
            concurrency.record(latency: .milliseconds(10), backpressure: false, saturated: false, now: now)
        }
        #expect(concurrency.limit == 40)
        concurrency.record(latency: .milliseconds(10), backpressure: true, saturated: true, now: now)
        #expect(concurrency.limit == 20)
        for _ in 0..<3 {
            now = now + .milliseconds(100)
            concurrency.record(latency: .milliseconds(100), backpressure: false, saturated: true, now: now)
        }
        #expect(concurrency.limit < 20, "latency ten times the baseline is congestion")
        for _ in 0..<20 { concurrency.record(latency: .seconds(1), backpressure: true, saturated: true, now: now) }
        #expect(concurrency.limit == 1, "never below one")
    }

    @Test func theBreakerOpensProbesAndCloses() {
        var breaker = CircuitBreaker(failureThreshold: 3, openFor: .seconds(2), maximumOpen: .seconds(5))
        var now = start
        for _ in 0..<2 { breaker.recordFailure(now: now) }
        var allowed = breaker.allow(now: now)
        #expect(allowed, "two failures: still closed")
        breaker.recordFailure(now: now)
        allowed = breaker.allow(now: now)
        #expect(!allowed && breaker.blockedUntil(now: now) == now + .seconds(2))
        now = now + .seconds(2)
        allowed = breaker.allow(now: now)
        #expect(allowed, "half-open: one probe")
        allowed = breaker.allow(now: now)
        #expect(!allowed, "only one probe at a time")
        breaker.recordFailure(now: now)
        #expect(breaker.blockedUntil(now: now) == now + .seconds(4), "a failed probe reopens for twice as long")
        now = now + .seconds(4)
        allowed = breaker.allow(now: now)
        #expect(allowed)
        breaker.recordFailure(now: now)
        #expect(breaker.blockedUntil(now: now) == now + .seconds(5), "capped")
        now = now + .seconds(5)
        allowed = breaker.allow(now: now)
        #expect(allowed)
        breaker.recordSuccess()
        allowed = breaker.allow(now: now)
        #expect(breaker.state == .closed(failures: 0) && allowed)
    }

    @Test func failuresAreClassifiedOnce() throws {
        let throttled = DeliveryError.status(429, destination: "qdrant", retryAfterHeader: "3")
        #expect(throttled.kind == .throttled && throttled.isRetryable && throttled.retryAfter == .seconds(3))
        let unavailable = DeliveryError.status(503, destination: "qdrant", body: "overloaded")
        #expect(unavailable.kind == .unavailable && unavailable.isRetryable && unavailable.response == "overloaded")
        let rejected = DeliveryError.status(400, destination: "qdrant")
        #expect(rejected.kind == .rejected && !rejected.isRetryable && !rejected.isBackpressure)
        #expect(DeliveryError.status(408, destination: "x").isRetryable)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = DateFormatter()
        later.locale = Locale(identifier: "en_US_POSIX")
        later.timeZone = TimeZone(identifier: "GMT")
        later.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(DeliveryError.parseRetryAfter(later.string(from: now.addingTimeInterval(7)), now: now) == .seconds(7))
        #expect(DeliveryError.parseRetryAfter("soon") == nil)
    }

    @Test func theRateCapHoldsAcrossEveryWindow() async throws {
        let clock = ManualClock(start: start)
        let gate = DeliveryGate(name: "webhook", destination: "sink", settings: .init(maxRequestsPerMinute: 600, maxConcurrency: 64), clock: clock)
        let sent = Shared<[Timestamp]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask { try await gate.send { sent.update { $0.append(clock.now()) } } }
            }
            // A bucket of one second's worth (10) goes at once; then 10 a second.
            // (Each step waits until the next request sleeps for its token.)
            while sent.current.count < 10 || clock.sleepers.isEmpty { await Task.yield() }
            #expect(sent.current.count == 10)
            for second in 1...3 {
                clock.advance(by: .seconds(1))
                let expected = 10 + second * 10
                while sent.current.count < expected || (expected < 40 && clock.sleepers.isEmpty) { await Task.yield() }
                #expect(sent.current.count == expected)
            }
            try await group.waitForAll()
        }
        let times = sent.current
        #expect(times.count == 40)
        for time in times {
            let inWindow = times.filter { $0 >= time && $0 < time + .seconds(1) }.count
            #expect(inWindow <= 10 + 10, "no second holds more than the rate plus the bucket")
        }
    }

    @Test func anOpenBreakerSendsNothingAndSaysUntilWhen() async throws {
        let clock = ManualClock(start: start)
        let gate = DeliveryGate(
            name: "webhook", destination: "sink", settings: .init(maxConcurrency: 4, breaker: CircuitBreaker(failureThreshold: 2, openFor: .seconds(10))),
            clock: clock)
        for _ in 0..<2 {
            await #expect(throws: DeliveryError.self) {
                try await gate.send { throw DeliveryError.status(503, destination: "sink") }
            }
        }
        #expect(gate.blockedUntil() == start + .seconds(10))
        let called = Shared(false)
        let error = await #expect(throws: DeliveryError.self) {
            try await gate.send { called.update { $0 = true } }
        }
        #expect(error?.kind == .circuitOpen && !called.current)
        clock.advance(by: .seconds(10))
        try await gate.send {}
        #expect(gate.blockedUntil() == nil && gate.snapshot.breaker == .closed(failures: 0))
    }

    @Test func aRetryAfterPausesTheDestinationAndARejectionDoesNot() async throws {
        let clock = ManualClock(start: start)
        let gate = DeliveryGate(name: "webhook", destination: "sink", settings: .init(maxConcurrency: 4), clock: clock)
        await #expect(throws: DeliveryError.self) {
            try await gate.send { throw DeliveryError.status(400, destination: "sink") }
        }
        #expect(gate.blockedUntil() == nil, "a rejected document says nothing about the destination")
        await #expect(throws: DeliveryError.self) {
            try await gate.send { throw DeliveryError.status(429, destination: "sink", retryAfterHeader: "5") }
        }
        #expect(gate.blockedUntil() == start + .seconds(5))
    }
}
