import CoreMetrics
import Synchronization

/// Every metric Sluice reports, made by a factory injected per instance
/// (never the process-wide bootstrap), so that two runtimes, or two tests
/// running side by side, never share a counter. Names are prefixed
/// `sluice_`; labels are tenant, priority, outcome, stage or destination
/// where they matter. `SluiceRuntime` gives each runtime a Prometheus
/// registry, which `/metrics` renders.
public final class SluiceMetrics: Sendable {
    public let factory: any MetricsFactory
    /// Handles made once per name and labels: making one goes through the
    /// factory's registry (a lock, name sanitizing, a lookup), too much to do
    /// for every document at thousands a second.
    private let counters = HandleCache<Counter>()
    private let timers = HandleCache<Timer>()
    private let gauges = HandleCache<Gauge>()

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        counters.handle(label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
        timers.handle(label, dimensions) { Timer(label: label, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        gauges.handle(label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// Metrics that go nowhere.
    public static var disabled: SluiceMetrics { SluiceMetrics(factory: NOOPMetricsHandler.instance) }

    /// Creates the series that exist before anything happens, at zero, so a
    /// scrape shows every metric from the start (per-tenant series appear with
    /// their tenant's first document).
    public func declare(destinations: [String]) {
        for name in ["sluice_chunks_embedded_total", "sluice_chunks_reused_total", "sluice_api_rate_limited_total", "sluice_watch_events_total"] {
            counter(name, []).increment(by: 0)
        }
        for reason in ["start", "periodic", "overflow"] {
            counter("sluice_rescans_total", [("reason", reason)]).increment(by: 0)
        }
        _ = timer("sluice_change_to_indexed_seconds", [])
        for stage in ["extract", "chunk", "embed", "sink"] {
            _ = timer("sluice_stage_seconds", [("stage", stage)])
        }
        for destination in destinations {
            counter("sluice_remote_requests_total", [("destination", destination), ("status", "ok")])
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
        counter("sluice_documents_processed_total", [("tenant", tenant), ("outcome", outcome)]).increment()
    }

    /// Changes folded into a pending change of the same document (coalescing).
    public func superseded(tenant: String, count: Int = 1) {
        guard count > 0 else { return }
        counter("sluice_changes_superseded_total", [("tenant", tenant)]).increment(by: count)
    }

    /// From the change being accepted to the document being indexed.
    public func changeToIndexed(_ latency: Duration) {
        timer("sluice_change_to_indexed_seconds", []).recordNanoseconds(latency.nanoseconds)
    }

    /// Time spent in one stage: extract, chunk, embed or sink.
    public func stage(_ stage: String, _ duration: Duration) {
        timer("sluice_stage_seconds", [("stage", stage)]).recordNanoseconds(duration.nanoseconds)
    }

    public func chunks(embedded: Int, reused: Int) {
        if embedded > 0 { counter("sluice_chunks_embedded_total", []).increment(by: embedded) }
        if reused > 0 { counter("sluice_chunks_reused_total", []).increment(by: reused) }
    }

    // MARK: Remote calls

    /// One request to a remote destination, by its answer: `ok`, an HTTP status, `timeout_or_connection`, `cancelled`.
    public func remoteRequest(destination: String, status: String) {
        counter("sluice_remote_requests_total", [("destination", destination), ("status", status)]).increment()
    }

    /// Where a destination's delivery controls stand: breaker (0 closed, 1 half-open, 2 open) and concurrency limit.
    public func gate(destination: String, circuit: Int, concurrencyLimit: Int) {
        gauge("sluice_circuit_state", [("destination", destination)]).record(circuit)
        gauge("sluice_adaptive_concurrency", [("destination", destination)]).record(concurrencyLimit)
    }

    /// An API request refused with 429 by the per-key rate limit.
    public func apiRateLimited() {
        counter("sluice_api_rate_limited_total", []).increment()
    }

    // MARK: Watching

    public func watchEvents(_ count: Int) {
        guard count > 0 else { return }
        counter("sluice_watch_events_total", []).increment(by: count)
    }

    /// A reconciliation scan: at start, periodic, after an overflow, or of a new folder.
    public func rescan(reason: String) {
        counter("sluice_rescans_total", [("reason", reason)]).increment()
    }

    // MARK: Sampled when scraped

    public func queueDepth(_ depth: QueueDepth) {
        for priority in Priority.allCases {
            gauge("sluice_queue_depth", [("state", "ready"), ("priority", priority.description)])
                .record(depth.ready[priority] ?? 0)
        }
        gauge("sluice_queue_depth", [("state", "delayed"), ("priority", "any")]).record(depth.delayed)
        gauge("sluice_queue_depth", [("state", "leased"), ("priority", "any")]).record(depth.leased)
        gauge("sluice_dead_letters", []).record(depth.dead)
    }

    public func tenantBacklog(tenant: String, pending: Int, failed: Int) {
        gauge("sluice_tenant_pending_documents", [("tenant", tenant)]).record(pending)
        gauge("sluice_tenant_failed_documents", [("tenant", tenant)]).record(failed)
    }

    /// Active alerts by name (0 when clear; `circuit_open` counts destinations) and the error rate over the alert window.
    public func alerts(_ active: [Alert], errorRate: Double) {
        for name in Alert.names {
            gauge("sluice_alert_active", [("alert", name)])
                .record(active.filter { $0.name == name }.count)
        }
        gauge("sluice_error_rate", []).record(errorRate)
    }

    /// What the last scans found wrong (unreadable folders, names that cannot be documents, ignore lines left out).
    public func scanProblems(_ count: Int) {
        gauge("sluice_scan_problems", []).record(count)
    }

    public func residentMemory(bytes: Int) {
        gauge("sluice_process_resident_memory_bytes", []).record(bytes)
    }
}

/// Metric handles by name and labels.
private final class HandleCache<Handle: Sendable>: Sendable {
    private struct Key: Hashable {
        var label: String
        var dimensions: [String]
    }

    private let handles = Mutex<[Key: Handle]>([:])

    func handle(_ label: String, _ dimensions: [(String, String)], make: () -> Handle) -> Handle {
        let key = Key(label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        if let existing = handles.withLock({ $0[key] }) { return existing }
        let made = make()
        return handles.withLock { handles in
            if let existing = handles[key] { return existing }
            handles[key] = made
            return made
        }
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
