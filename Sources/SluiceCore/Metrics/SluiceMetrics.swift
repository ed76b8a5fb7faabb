import CoreMetrics
import Synchronization

/// Every metric Sluice reports, made by a factory injected per instance
/// (never the process-wide bootstrap), so that two runtimes, or two tests
/// running side by side, never share a counter. Names are prefixed
/// `sluice_`, except the standard `process_*`; labels are priority,
/// outcome, stage, state or destination (a short stable name: `qdrant`,
/// `webhook`, `sluice`, `embedder`) where they matter. Tenants label only
/// the backlog gauges, and only the `tenantSeries` tenants with the most
/// work left, the rest summed as `(other)`: 10,000 tenants must not make
/// 10,000 series of a family. `SluiceRuntime` gives each runtime a
/// Prometheus registry, which `/metrics` renders; docs/METRICS.md lists them.
public final class SluiceMetrics: Sendable {
    public let factory: any MetricsFactory
    /// Handles made once per name and labels: making one goes through the
    /// factory's registry (a lock, name sanitizing, a lookup), too much to do
    /// for every document at thousands a second.
    private let counters = HandleCache<Counter>()
    private let timers = HandleCache<Timer>()
    private let gauges = HandleCache<Gauge>()
    private let floatingCounters = HandleCache<FloatingPointCounter>()
    /// The CPU seconds already counted: the counter goes up by what was used since.
    private let countedCPUSeconds = Mutex<Double>(0)
    /// The tenants that have backlog series now.
    private let tenantsWithSeries = Mutex<Set<String>>([])
    /// The tenants with series of their own; the others are summed as `otherTenants`.
    public let tenantSeries: Int
    /// The tenant label of the sum of the tenants without series of their own: no tenant's name has parentheses.
    public static let otherTenants = "(other)"

    public init(factory: any MetricsFactory, tenantSeries: Int = 20) {
        self.factory = factory
        self.tenantSeries = tenantSeries
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
    /// their tenant's first document). `destinations` are their short names.
    public func declare(destinations: [String], version: String) {
        gauge("sluice_build_info", [("version", version)]).record(1)
        for outcome in ["indexed", "unchanged", "deleted", "skipped", "failed"] {
            counter("sluice_documents_processed_total", [("outcome", outcome)]).increment(by: 0)
        }
        counter("sluice_changes_superseded_total", []).increment(by: 0)
        for result in ["ok", "failed"] { counter("sluice_attempts_total", [("result", result)]).increment(by: 0) }
        for name in ["sluice_chunks_embedded_total", "sluice_chunks_reused_total", "sluice_api_rate_limited_total", "sluice_watch_events_total"] {
            counter(name, []).increment(by: 0)
        }
        for reason in ["start", "periodic", "overflow", "ignore_file", "unwatched"] {
            counter("sluice_rescans_total", [("reason", reason)]).increment(by: 0)
        }
        _ = timer("sluice_change_to_indexed_seconds", [])
        for stage in ["extract", "chunk", "embed", "sink"] {
            _ = timer("sluice_stage_seconds", [("stage", stage)])
        }
        for destination in destinations {
            counter("sluice_remote_requests_total", [("destination", destination), ("status", "ok")])
                .increment(by: 0)
            gate(destination: destination, circuit: .closed, concurrencyLimit: 1)
        }
        queueDepth(QueueDepth())
        alerts([], errorRate: 0)
    }

    // MARK: Documents

    /// One document finished: indexed, unchanged, deleted, skipped or failed.
    public func processed(outcome: String) {
        counter("sluice_documents_processed_total", [("outcome", outcome)]).increment()
    }

    /// One processing attempt ended: done (any outcome), or failed (to be
    /// retried, or a dead letter). The error-rate alert's ratio, as a counter.
    public func attempt(failed: Bool) {
        counter("sluice_attempts_total", [("result", failed ? "failed" : "ok")]).increment()
    }

    /// Changes folded into a pending change of the same document (coalescing).
    public func superseded(count: Int = 1) {
        guard count > 0 else { return }
        counter("sluice_changes_superseded_total", []).increment(by: count)
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

    /// Where a destination's delivery controls stand: its breaker, as one
    /// series per state (1 for the state it is in, 0 for the others), and its concurrency limit.
    public func gate(destination: String, circuit: DestinationStatus.Circuit, concurrencyLimit: Int) {
        for state in DestinationStatus.Circuit.allCases {
            gauge("sluice_circuit_state", [("destination", destination), ("state", state.rawValue)]).record(state == circuit ? 1 : 0)
        }
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

    /// Each tenant's documents waiting, failed and indexed: the `tenantSeries`
    /// tenants with the most waiting (then failed) under their own name, the
    /// others summed as `(other)`. A tenant that drops out of the top loses its
    /// series, rather than leaving a stale value behind.
    public func tenantBacklogs(_ tenants: [TenantSummary]) {
        let ranked = tenants.sorted { ($0.pending, $0.failed, $1.tenant) > ($1.pending, $1.failed, $0.tenant) }
        var rows = ranked.prefix(tenantSeries).map { ($0.tenant, $0.pending, $0.failed, $0.indexed) }
        let rest = ranked.dropFirst(tenantSeries)
        if !rest.isEmpty || tenantSeries == 0 {
            rows.append((Self.otherTenants, rest.reduce(0) { $0 + $1.pending }, rest.reduce(0) { $0 + $1.failed }, rest.reduce(0) { $0 + $1.indexed }))
        }
        let families = ["sluice_tenant_pending_documents", "sluice_tenant_failed_documents", "sluice_tenant_indexed_documents"]
        for (tenant, pending, failed, indexed) in rows {
            for (family, value) in zip(families, [pending, failed, indexed]) { gauge(family, [("tenant", tenant)]).record(value) }
        }
        let now = Set(rows.map(\.0))
        let gone = tenantsWithSeries.withLock { previous in
            defer { previous = now }
            return previous.subtracting(now)
        }
        for tenant in gone {
            for family in families { gauges.remove(family, [("tenant", tenant)])?.destroy() }
        }
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

    /// The standard `process_*` metrics of Prometheus's client libraries.
    public func process(_ figures: ProcessFigures) {
        gauge("process_resident_memory_bytes", []).record(figures.residentMemoryBytes)
        gauge("process_virtual_memory_bytes", []).record(figures.virtualMemoryBytes)
        gauge("process_open_fds", []).record(figures.openFileDescriptors)
        gauge("process_max_fds", []).record(figures.maxFileDescriptors)
        gauge("process_start_time_seconds", []).record(figures.startTimeSeconds)
        let used = countedCPUSeconds.withLock { counted in
            defer { counted = max(counted, figures.cpuSeconds) }
            return max(0, figures.cpuSeconds - counted)
        }
        floatingCounters.handle("process_cpu_seconds_total", []) {
            FloatingPointCounter(label: "process_cpu_seconds_total", dimensions: [], factory: factory)
        }.increment(by: used)
    }
}

/// This process's figures as Prometheus's `process_*` metrics name them.
public struct ProcessFigures: Sendable, Equatable {
    /// User and system CPU time used so far.
    public var cpuSeconds: Double = 0
    public var residentMemoryBytes: Double = 0
    public var virtualMemoryBytes: Double = 0
    public var openFileDescriptors: Double = 0
    public var maxFileDescriptors: Double = 0
    /// When the process started, in Unix seconds.
    public var startTimeSeconds: Double = 0

    public init() {}
}

/// Metric handles by name and labels.
private final class HandleCache<Handle: Sendable>: Sendable {
    private struct Key: Hashable {
        var label: String
        var dimensions: [String]
    }

    private let handles = Mutex<[Key: Handle]>([:])

    /// Forgets the handle of `label` and `dimensions`, and returns it (to destroy).
    func remove(_ label: String, _ dimensions: [(String, String)]) -> Handle? {
        let key = Key(label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        return handles.withLock { $0.removeValue(forKey: key) }
    }

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
