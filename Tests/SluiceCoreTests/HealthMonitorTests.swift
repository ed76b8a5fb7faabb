import SluiceCore
import Testing

/// Alerts raise once when a threshold is crossed and clear once when it is
/// not, from known samples at known times.
@Suite struct HealthMonitorTests {
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    func names(_ changes: [HealthMonitor.Change]) -> [String] {
        changes.map {
            switch $0 {
            case .raised(let alert): "+\(alert.id)"
            case .cleared(let alert, _): "-\(alert.id)"
            }
        }
    }

    @Test func queueDepthRaisesOnceAndClears() {
        let monitor = HealthMonitor(thresholds: AlertThresholds(queueDepth: 100))
        #expect(names(monitor.evaluate(depth: QueueDepth(ready: [.normal: 100]), destinations: [], at: start)) == [])
        #expect(names(monitor.evaluate(depth: QueueDepth(ready: [.normal: 90], delayed: 5, leased: 6), destinations: [], at: start + .seconds(5))) == ["+queue_depth"])
        #expect(names(monitor.evaluate(depth: QueueDepth(ready: [.normal: 500]), destinations: [], at: start + .seconds(10))) == [])
        let alerts = monitor.report(at: start + .seconds(10)).alerts
        #expect(alerts.map(\.name) == ["queue_depth"])
        #expect(alerts.first?.since == start + .seconds(5), "the alert keeps the time it started")
        #expect(alerts.first?.value == 500, "and shows the latest value")
        // Dead letters are not waiting work.
        let cleared = monitor.evaluate(depth: QueueDepth(ready: [.normal: 10], dead: 5000), destinations: [], at: start + .seconds(15))
        #expect(names(cleared) == ["-queue_depth"])
        #expect(monitor.report(at: start + .seconds(15)).alerts.isEmpty)
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(20))) == [])
    }

    @Test func errorRateNeedsEnoughAttemptsAndForgetsOldOnes() {
        let monitor = HealthMonitor(thresholds: AlertThresholds(errorRate: 0.1, errorRateWindow: .seconds(300), minimumAttempts: 10))
        // 3 failures of 3: too few attempts to call it a trend.
        for second in 0..<3 { monitor.recordAttempt(failed: true, at: start + .seconds(second)) }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(5))) == [])
        // 7 successes more: 3 of 10 failed, 30% > 10%.
        for second in 3..<10 { monitor.recordAttempt(failed: false, at: start + .seconds(second)) }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(10))) == ["+error_rate"])
        #expect(monitor.report(at: start + .seconds(10)).errorRate == 0.3)
        // 20 more successes a minute later: 3 of 30 is exactly 10%, not above it.
        for _ in 0..<20 { monitor.recordAttempt(failed: false, at: start + .seconds(60)) }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(61))) == ["-error_rate"])
        // New failures raise it again; five minutes on, they have left the window and it clears.
        for _ in 0..<10 { monitor.recordAttempt(failed: true, at: start + .seconds(120)) }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(121))) == ["+error_rate"])
        let report = monitor.report(at: start + .seconds(121))
        #expect(report.attempts == 40 && report.failures == 13)
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(121 + 300))) == ["-error_rate"])
        #expect(monitor.report(at: start + .seconds(121 + 300)).attempts == 0)
    }

    @Test func circuitOpenLongerThanAMinute() {
        let monitor = HealthMonitor(thresholds: AlertThresholds(circuitOpen: .seconds(60)))
        func qdrant(_ circuit: DestinationStatus.Circuit, since: Timestamp?) -> [DestinationStatus] {
            [DestinationStatus(name: "qdrant", destination: "qdrant at http://q:6333", circuit: circuit, openSince: since, concurrencyLimit: 1, inFlight: 0)]
        }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: qdrant(.open, since: start), at: start + .seconds(30))) == [])
        // Half-open between failed probes still counts as down.
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: qdrant(.halfOpen, since: start), at: start + .seconds(59))) == [])
        let raised = monitor.evaluate(depth: QueueDepth(), destinations: qdrant(.open, since: start), at: start + .seconds(61))
        #expect(names(raised) == ["+circuit_open:qdrant at http://q:6333"])
        if case .raised(let alert) = raised.first {
            #expect(alert.since == start && alert.value == 61 && alert.message.contains("qdrant at http://q:6333"))
        }
        #expect(names(monitor.evaluate(depth: QueueDepth(), destinations: qdrant(.open, since: start), at: start + .seconds(90))) == [])
        #expect(monitor.report(at: start + .seconds(90)).destinations.first?.circuit == .open)
        let cleared = monitor.evaluate(depth: QueueDepth(), destinations: qdrant(.closed, since: nil), at: start + .seconds(95))
        #expect(names(cleared) == ["-circuit_open:qdrant at http://q:6333"])
    }

    @Test func breakerRemembersWhenItFirstOpened() {
        var breaker = CircuitBreaker(failureThreshold: 2, openFor: .seconds(2))
        breaker.recordFailure(now: start)
        #expect(breaker.openSince == nil)
        breaker.recordFailure(now: start + .seconds(1))
        #expect(breaker.openSince == start + .seconds(1))
        let probing = breaker.allow(now: start + .seconds(4))
        #expect(probing)
        breaker.recordFailure(now: start + .seconds(4))
        #expect(breaker.openSince == start + .seconds(1), "a failed probe does not restart the clock")
        breaker.recordSuccess()
        #expect(breaker.openSince == nil)
    }

    @Test func historyKeepsThroughputAndForgetsOldSamples() {
        let monitor = HealthMonitor(historyLength: .seconds(60))
        _ = monitor.evaluate(depth: QueueDepth(ready: [.normal: 100]), destinations: [], at: start)
        for _ in 0..<50 { monitor.recordAttempt(failed: false, at: start + .seconds(1)) }
        monitor.recordAttempt(failed: true, at: start + .seconds(2))
        _ = monitor.evaluate(depth: QueueDepth(ready: [.normal: 50]), destinations: [], at: start + .seconds(5))
        var history = monitor.report(at: start + .seconds(5)).history
        #expect(history.map(\.queued) == [100, 50])
        #expect(history.last?.throughput == 10, "50 documents finished in 5 seconds; the failure is not throughput")
        _ = monitor.evaluate(depth: QueueDepth(), destinations: [], at: start + .seconds(64))
        history = monitor.report(at: start + .seconds(64)).history
        #expect(history.map(\.queued) == [50, 0])
        #expect(history.last?.throughput == 0)
    }
}
