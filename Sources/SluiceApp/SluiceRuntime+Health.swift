import Logging
import Prometheus
import SluiceCore

/// What the runtime shows of itself: the Prometheus exposition and the alerts.
extension SluiceRuntime {
    /// A Prometheus factory over `registry`, with histogram buckets fit for Sluice's durations.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(300),
        ]
        return factory
    }

    /// Samples what is not counted as it happens (queue depth, per-tenant
    /// backlog, the delivery gates, memory) and renders the Prometheus text format.
    public func metricsExposition() async throws -> [UInt8] {
        metrics.queueDepth(try await store.depth())
        metrics.tenantBacklogs(try await store.tenantSummaries())
        for destination in destinations {
            metrics.gate(destination: destination.name, circuit: destination.circuit, concurrencyLimit: destination.concurrencyLimit)
        }
        metrics.scanProblems(try await store.problems(tenant: nil).count)
        metrics.process(ProcessFigures.sample())
        let health = self.health.report(at: clock.now())
        metrics.alerts(health.alerts, errorRate: health.errorRate)
        return metricsRegistry.emitToBuffer()
    }

    /// The remote destinations' delivery controls (none with the built-in embedder and index).
    public var destinations: [DestinationStatus] {
        [embedder.deliveryGate, sink.deliveryGate].compactMap { $0.map(DestinationStatus.init) }
    }

    /// Samples the queue and the destinations, checks the alert thresholds,
    /// logs each alert when it is raised and when it clears (once, not on
    /// every check), and updates the alert gauges. The live session calls it
    /// every few seconds.
    @discardableResult
    public func checkHealth() async throws -> [HealthMonitor.Change] {
        let now = clock.now()
        let changes = health.evaluate(depth: try await store.depth(), destinations: destinations, at: now)
        for change in changes {
            switch change {
            case .raised(let alert):
                logger.warning("alert \(alert.name) raised: \(alert.message)", metadata: Self.metadata(alert))
            case .cleared(let alert, let at):
                var metadata = Self.metadata(alert)
                metadata["lastedSeconds"] = .stringConvertible(Int((at - alert.since).seconds))
                logger.notice("alert \(alert.name) cleared\(alert.subject.map { " for \($0)" } ?? "")", metadata: metadata)
            }
        }
        let report = health.report(at: now)
        metrics.alerts(report.alerts, errorRate: report.errorRate)
        return changes
    }

    private static func metadata(_ alert: Alert) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "alert": "\(alert.name)", "value": .stringConvertible(alert.value), "threshold": .stringConvertible(alert.threshold),
            "since": "\(alert.since)",
        ]
        if let subject = alert.subject { metadata["destination"] = "\(subject)" }
        return metadata
    }
}
