import CoreMetrics

/// Every metric Sluice reports, made by a factory injected per instance
/// (never the process-wide bootstrap), so that two runtimes, or two tests
/// running side by side, never share a counter. Names are prefixed
/// `sluice_`; labels are tenant, priority, outcome, stage or destination
/// where they matter. `SluiceRuntime` gives each runtime a Prometheus
/// registry, which `/metrics` renders.
public final class SluiceMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Metrics that go nowhere.
    public static var disabled: SluiceMetrics { SluiceMetrics(factory: NOOPMetricsHandler.instance) }

    /// Creates the series that exist before anything happens, at zero, so a
    /// scrape shows every metric from the start (per-tenant series appear with
    /// their tenant's first document).
    public func declare(destinations: [String]) {
        for name in ["sluice_chunks_embedded_total", "sluice_chunks_reused_total", "sluice_api_rate_limited_total", "sluice_watch_events_total"] {
            Counter(label: name, dimensions: [], factory: factory).increment(by: 0)
        }
        for reason in ["start", "periodic", "overflow"] {
            Counter(label: "sluice_rescans_total", dimensions: [("reason", reason)], factory: factory).increment(by: 0)
        }
        _ = Timer(label: "sluice_change_to_indexed_seconds", dimensions: [], factory: factory)
        for stage in ["extract", "chunk", "embed", "sink"] {
            _ = Timer(label: "sluice_stage_seconds", dimensions: [("stage", stage)], factory: factory)
        }
        for destination in destinations {
            Counter(label: "sluice_remote_requests_total", dimensions: [("destination", destination), ("status", "ok")], factory: factory)
                .increment(by: 0)
            gate(destination: destination, circuit: 0, concurrencyLimit: 1)
        }
        queueDepth(QueueDepth())
        residentMemory(bytes: 0)
        alerts([], errorRate: 0)
    }

    // MARK: Documents

    /// One document finished: indexed, unchanged, deleted, skipped or failed.
    public func processed(tenant: String, outcome: String) {
        Counter(label: "sluice_documents_processed_total", dimensions: [("tenant", tenant), ("outcome", outcome)], factory: factory).increment()
    }

    /// Changes folded into a pending change of the same document (coalescing).
    public func superseded(tenant: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "sluice_changes_superseded_total", dimensions: [("tenant", tenant)], factory: factory).increment(by: count)
    }

    /// From the change being accepted to the document being indexed.
    public func changeToIndexed(_ latency: Duration) {
        Timer(label: "sluice_change_to_indexed_seconds", dimensions: [], factory: factory).recordNanoseconds(latency.nanoseconds)
    }

    /// Time spent in one stage: extract, chunk, embed or sink.
    public func stage(_ stage: String, _ duration: Duration) {
        Timer(label: "sluice_stage_seconds", dimensions: [("stage", stage)], factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    public func chunks(embedded: Int, reused: Int) {
        if embedded > 0 { Counter(label: "sluice_chunks_embedded_total", dimensions: [], factory: factory).increment(by: embedded) }
        if reused > 0 { Counter(label: "sluice_chunks_reused_total", dimensions: [], factory: factory).increment(by: reused) }
    }

    // MARK: Remote calls

    /// One request to a remote destination, by its answer: `ok`, an HTTP status, `timeout_or_connection`, `cancelled`.
    public func remoteRequest(destination: String, status: String) {
        Counter(label: "sluice_remote_requests_total", dimensions: [("destination", destination), ("status", status)], factory: factory).increment()
    }

    /// Where a destination's delivery controls stand: breaker (0 closed, 1 half-open, 2 open) and concurrency limit.
    public func gate(destination: String, circuit: Int, concurrencyLimit: Int) {
        Gauge(label: "sluice_circuit_state", dimensions: [("destination", destination)], factory: factory).record(circuit)
        Gauge(label: "sluice_adaptive_concurrency", dimensions: [("destination", destination)], factory: factory).record(concurrencyLimit)
    }

    /// An API request refused with 429 by the per-key rate limit.
    public func apiRateLimited() {
        Counter(label: "sluice_api_rate_limited_total", dimensions: [], factory: factory).increment()
    }

    // MARK: Watching

    public func watchEvents(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "sluice_watch_events_total", dimensions: [], factory: factory).increment(by: count)
    }

    /// A reconciliation scan: at start, periodic, after an overflow, or of a new folder.
    public func rescan(reason: String) {
        Counter(label: "sluice_rescans_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    // MARK: Sampled when scraped

    public func queueDepth(_ depth: QueueDepth) {
        for priority in Priority.allCases {
            Gauge(label: "sluice_queue_depth", dimensions: [("state", "ready"), ("priority", priority.description)], factory: factory)
                .record(depth.ready[priority] ?? 0)
        }
        Gauge(label: "sluice_queue_depth", dimensions: [("state", "delayed"), ("priority", "any")], factory: factory).record(depth.delayed)
        Gauge(label: "sluice_queue_depth", dimensions: [("state", "leased"), ("priority", "any")], factory: factory).record(depth.leased)
        Gauge(label: "sluice_dead_letters", dimensions: [], factory: factory).record(depth.dead)
    }

    public func tenantBacklog(tenant: String, pending: Int, failed: Int) {
        Gauge(label: "sluice_tenant_pending_documents", dimensions: [("tenant", tenant)], factory: factory).record(pending)
        Gauge(label: "sluice_tenant_failed_documents", dimensions: [("tenant", tenant)], factory: factory).record(failed)
    }

    /// Active alerts by name (0 when clear; `circuit_open` counts destinations) and the error rate over the alert window.
    public func alerts(_ active: [Alert], errorRate: Double) {
        for name in Alert.names {
            Gauge(label: "sluice_alert_active", dimensions: [("alert", name)], factory: factory)
                .record(active.filter { $0.name == name }.count)
        }
        Gauge(label: "sluice_error_rate", dimensions: [], factory: factory).record(errorRate)
    }

    public func residentMemory(bytes: Int) {
        Gauge(label: "sluice_process_resident_memory_bytes", dimensions: [], factory: factory).record(bytes)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
