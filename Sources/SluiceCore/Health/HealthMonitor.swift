import Synchronization

/// What Sluice watches about itself between scrapes: processing attempts and
/// failures (the error rate), a short history of queue depth and throughput
/// for the dashboard's charts, and the alerts. Workers record attempts as
/// they end; `evaluate` is called every few seconds with the queue depth
/// and the destinations, and returns the alerts that started or ended, so
/// the caller logs each change once. In memory: a restart starts a new
/// window (progress, which must survive a restart, comes from the store).
public final class HealthMonitor: Sendable {
    public let thresholds: AlertThresholds
    /// How much history `report` returns.
    public let historyLength: Duration

    private struct State {
        var outcomes: OutcomeWindow
        var attempts = 0
        var failures = 0
        var active: [String: Alert] = [:]
        var history: [HealthSample] = []
        var destinations: [DestinationStatus] = []
    }

    private let state: Mutex<State>

    public init(thresholds: AlertThresholds = AlertThresholds(), historyLength: Duration = .seconds(900)) {
        self.thresholds = thresholds
        self.historyLength = historyLength
        state = Mutex(State(outcomes: OutcomeWindow(window: thresholds.errorRateWindow)))
    }

    /// One processing attempt ended: a document finished (indexed, unchanged,
    /// deleted, skipped as unreadable input), or failed (to be retried, or for good).
    public func recordAttempt(failed: Bool, at now: Timestamp) {
        state.withLock {
            $0.outcomes.record(attempts: 1, failures: failed ? 1 : 0, at: now)
            $0.attempts += 1
            if failed { $0.failures += 1 }
        }
    }

    /// A change of an alert, to be logged once.
    public enum Change: Sendable, Equatable {
        case raised(Alert)
        case cleared(Alert, at: Timestamp)
    }

    /// Takes a sample (for the history) and checks every threshold; returns
    /// the alerts raised and cleared since the last evaluation.
    public func evaluate(depth: QueueDepth, destinations: [DestinationStatus], at now: Timestamp) -> [Change] {
        let thresholds = self.thresholds
        return state.withLock { state in
            let (attempts, failures) = state.outcomes.totals(at: now)
            let rate = attempts == 0 ? 0 : Double(failures) / Double(attempts)
            var breached: [Alert] = []
            if depth.pending > thresholds.queueDepth {
                breached.append(Alert(
                    name: "queue_depth", since: now, value: Double(depth.pending), threshold: Double(thresholds.queueDepth),
                    message: "\(depth.pending) changes are waiting, more than SLUICE_ALERT_QUEUE_DEPTH=\(thresholds.queueDepth): indexing falls behind; check the rate, the error rate and the destinations"))
            }
            if attempts >= thresholds.minimumAttempts && rate > thresholds.errorRate {
                let minutes = Int(thresholds.errorRateWindow.seconds / 60)
                breached.append(Alert(
                    name: "error_rate", since: now, value: rate, threshold: thresholds.errorRate,
                    message: "\(failures) of \(attempts) attempts failed in the last \(minutes) minutes, more than SLUICE_ALERT_ERROR_RATE=\(thresholds.errorRate); see the reasons with `sluice dead-letters` and the log"))
            }
            for destination in destinations {
                guard let since = destination.openSince, destination.circuit != .closed else { continue }
                let open = now - since
                guard open > thresholds.circuitOpen else { continue }
                breached.append(Alert(
                    name: "circuit_open", subject: destination.destination, since: since, value: open.seconds.rounded(),
                    threshold: thresholds.circuitOpen.seconds,
                    message: "\(destination.destination) has not answered for \(Int(open.seconds)) s: its circuit is open and its work waits in the queue"))
            }
            var changes: [Change] = []
            var active: [String: Alert] = [:]
            for var alert in breached {
                if let previous = state.active[alert.id] {
                    alert.since = previous.since
                } else {
                    changes.append(.raised(alert))
                }
                active[alert.id] = alert
            }
            for (id, alert) in state.active where active[id] == nil {
                changes.append(.cleared(alert, at: now))
            }
            state.active = active
            state.destinations = destinations
            let finished = state.attempts - state.failures
            var throughput = 0.0
            if let previous = state.history.last, now > previous.at {
                throughput = Double(finished - previous.finished) / (now - previous.at).seconds
            }
            state.history.append(HealthSample(
                at: now, queued: depth.pending, deadLetters: depth.dead, finished: finished, failures: state.failures,
                throughput: throughput, errorRate: rate))
            let oldest = now - historyLength
            state.history.removeAll { $0.at < oldest }
            return changes
        }
    }

    /// What the monitor knows now.
    public func report(at now: Timestamp) -> HealthReport {
        let thresholds = self.thresholds
        return state.withLock { state in
            let (attempts, failures) = state.outcomes.totals(at: now)
            return HealthReport(
                alerts: state.active.values.sorted { ($0.since, $0.id) < ($1.since, $1.id) },
                attempts: attempts, failures: failures, window: thresholds.errorRateWindow,
                destinations: state.destinations, history: state.history)
        }
    }
}

/// One sample of the history: taken at each evaluation.
public struct HealthSample: Sendable, Equatable {
    public var at: Timestamp
    /// Pending queue rows.
    public var queued: Int
    public var deadLetters: Int
    /// Documents finished, and attempts failed, since the monitor started.
    public var finished: Int
    public var failures: Int
    /// Documents finished per second since the previous sample.
    public var throughput: Double
    /// The error rate over the window at this moment.
    public var errorRate: Double
}

/// The monitor's answer: active alerts, the error rate over its window,
/// the destinations' circuits, and the recent history.
public struct HealthReport: Sendable, Equatable {
    public var alerts: [Alert]
    public var attempts: Int
    public var failures: Int
    public var window: Duration
    public var destinations: [DestinationStatus]
    public var history: [HealthSample]

    public var errorRate: Double { attempts == 0 ? 0 : Double(failures) / Double(attempts) }

    /// What a process that watches nothing reports.
    public static let nothing = HealthReport(alerts: [], attempts: 0, failures: 0, window: .seconds(300), destinations: [], history: [])
}
