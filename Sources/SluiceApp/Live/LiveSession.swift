import Foundation
import Logging
import ServiceLifecycle
import Hummingbird
import SluiceCore
import SluiceHTTP
import SluiceWatch
import Synchronization

/// A long-running Sluice: `sluice run DIR --watch`, `sluice serve`, or both
/// (`run DIR --watch --listen HOST:PORT`).
///
/// Start-up: take the worker lock, release abandoned leases. Then one
/// `ServiceGroup` runs the workers, an activity reporter, the health check
/// (alerts, every five seconds) and, as asked, the watch (`WatchService`:
/// inotify watches on every folder, the intake, and the rescanner: a
/// reconciliation scan at once, then every SLUICE_RESCAN_INTERVAL and after a
/// kernel queue overflow; with a shared store only in the process holding the
/// folder's claim) and the HTTP API. SIGTERM and
/// SIGINT shut down gracefully in reverse order: intake and API first, then
/// the rescanner, then the workers finish the batch in hand; the store closes last.
public final class LiveSession: Sendable {
    /// Where the HTTP API listens.
    public struct Listen: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
        public init(parsing text: String) throws {
            let problem = SluiceError(.configuration, "listen address \"\(text)\" is not HOST:PORT, for example 127.0.0.1:8080 or [::1]:8080")
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw problem
            }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw problem }
            self.init(host: host, port: port)
        }

        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    let runtime: SluiceRuntime
    let options: Runner.Options?
    let listen: Listen?
    let rescanInterval: Duration?
    let handleSignals: Bool
    let rescans = RescanRequests()
    /// Bytes held in memory at once, shared by request bodies and extraction.
    let budget: ByteBudget
    /// Requests being accepted now; workers give way while there are many.
    let intakePressure: IntakePressure
    private let group = LockedValue<ServiceGroup?>(nil)
    private let boundPort = LockedValue<Int?>(nil)
    public let progress = RunProgress()

    /// - Parameters:
    ///   - options: the folder to watch; nil serves the API only.
    ///   - listen: where the HTTP API listens; nil runs no API.
    ///   - rescanInterval: the periodic safety rescan; nil disables it.
    ///   - handleSignals: shut down gracefully on SIGTERM and SIGINT.
    public init(
        runtime: SluiceRuntime, watching options: Runner.Options?, listen: Listen? = nil, rescanInterval: Duration?,
        handleSignals: Bool = true
    ) {
        self.runtime = runtime
        self.budget = ByteBudget(capacity: runtime.configuration.maxInflightBytes)
        self.intakePressure = IntakePressure(clock: runtime.clock)
        self.options = options
        self.listen = listen
        self.rescanInterval = rescanInterval
        self.handleSignals = handleSignals
    }

    /// What a session reports every few seconds.
    public struct Activity: Sendable {
        public var processed: RunProgress.Snapshot
        public var queue: QueueDepth
    }

    /// The port the API listens on, once it runs (useful with port 0).
    public var port: Int? { boundPort.get() }

    /// Runs until a graceful shutdown (signal or `stop()`). `onReady` is called
    /// once the watches are in place and the first scan is done, and the API
    /// listens; `onActivity` about every two seconds.
    public func run(
        onReady: @escaping @Sendable () -> Void = {}, onActivity: @escaping @Sendable (Activity) -> Void = { _ in }
    ) async throws {
        let logger = runtime.logger
        if let listen, !listen.isLoopback, !(try await runtime.store.hasActiveKeys()) {
            throw SluiceError(
                .configuration,
                "refusing to listen on \(listen.host) without API keys: anyone who can reach it could write to every tenant. Create keys first (`sluice keys create --tenant NAME` or `--admin`), or listen on 127.0.0.1")
        }
        let (process, _) = try await Runner(runtime: runtime).becomeWorkerProcess(root: options?.root)
        do {
            try await run(onReady: onReady, onActivity: onActivity, logger: logger)
            await process.end()
        } catch {
            await process.end()
            throw error
        }
    }

    private func run(
        onReady: @escaping @Sendable () -> Void, onActivity: @escaping @Sendable (Activity) -> Void, logger: Logger
    ) async throws {

        let ready = ReadyGate(count: (options == nil ? 0 : 1) + (listen == nil ? 0 : 1), then: onReady)
        let workers = Runner(runtime: runtime).makeWorkers(progress: progress, budget: budget)
        var services: [any Service] = [
            WorkerService(workers: workers, intakePressure: intakePressure),
            PeriodicService(name: "report activity", interval: .seconds(2), runtime: runtime) { [self] in
                onActivity(Activity(processed: progress.snapshot(), queue: try await runtime.store.depth()))
            },
            PeriodicService(name: "check health", interval: .seconds(5), runtime: runtime) { [runtime] in
                try await runtime.checkHealth()
            },
            // Edits replace chunks; the vectors no chunk uses any more go now and then, as at the end of a run.
            PeriodicService(name: "collect unused vectors", interval: runtime.configuration.vectorCollectionInterval, runtime: runtime) {
                [runtime] in
                let removed = try await runtime.store.collectUnusedEmbeddings()
                if removed > 0 { runtime.logger.info("collected \(removed) vectors no chunk uses any more") }
            },
        ]
        if let options {
            guard let scanRoot = FileSystem.realPath(options.root) else {
                throw SluiceError(.configuration, "the folder \(options.root) does not exist; check the path and run again")
            }
            let rules = try Runner(runtime: runtime).rules()
            let layout = WatchLayout(scanRoot: scanRoot, singleTenant: options.singleTenant, rules: rules)
            services.append(WatchService(session: self, layout: layout, onReady: { ready.signal() }))
        }
        if let listen {
            services.append(makeAPI(listen, onRunning: { ready.signal() }))
        }
        ready.signalIfEmpty()
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        self.group.set(group)
        try await group.run()
        logger.notice("stopped; pending changes stay queued for the next start")
    }

    func makeAPI(_ listen: Listen, onRunning: @escaping @Sendable () -> Void) -> some Service {
        let runtime = self.runtime
        let configuration = runtime.configuration
        var backend = APIBackend(
            publisher: MeteredPublisher(base: runtime.store, metrics: runtime.metrics), documents: runtime.store,
            reports: runtime.store, keys: runtime.store, queue: runtime.store,
            access: AccessPolicy(
                ratePerMinute: configuration.apiRateLimitPerMinute, exempt: configuration.apiRateLimitExempt,
                trustedProxies: configuration.trustedProxies),
            search: { tenant, query, k, attributes in try await runtime.search(tenant: tenant, query: query, k: k, attributes: attributes) },
            preview: { publication in try await runtime.preview(publication) },
            purge: { tenant in try await runtime.purge(tenant: tenant) },
            scanProblems: { tenant in try await runtime.store.problems(tenant: tenant) },
            metricsExposition: { try await runtime.metricsExposition() }, metrics: runtime.metrics,
            health: { runtime.health.report(at: runtime.clock.now()) },
            budget: budget, intake: intakePressure,
            isReady: { (try? await runtime.store.depth()) != nil && !Task.isShuttingDownGracefully },
            limits: APIBackend.Limits(
                maxBatchDocuments: configuration.maxBatchDocuments, maxRequestBytes: configuration.maxRequestBytes,
                maxContentBytes: configuration.maxFileBytes,
                maxUploadsPerKey: configuration.apiMaxUploadsPerKey, maxWaitersPerKey: configuration.apiMaxWaitersPerKey))
        // A store shared by many processes keeps the rate limits, so they hold across them.
        backend.rateLimits = runtime.store as? any RateLimits
        let boundPort = self.boundPort
        let logger = runtime.logger
        let store = runtime.store
        return Application(
            router: APIRouter.make(backend, clock: runtime.clock),
            // A body must arrive within its deadline; a connection with no request in
            // progress (a client that never sends its headers, or keeps an idle socket) closes.
            server: APIRouter.server(bodyTimeout: configuration.apiBodyTimeout, idleTimeout: configuration.apiIdleTimeout),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "sluice"),
            onServerRunning: { channel in
                boundPort.set(channel.localAddress?.port)
                let keyless = !((try? await store.hasActiveKeys()) ?? true)
                logger.notice("API listening on \(listen.host):\(channel.localAddress?.port ?? listen.port)\(keyless ? "; no API keys exist, so loopback clients are served without one" : "; requests need an API key")")
                onRunning()
            },
            logger: logger)
    }

    /// Shuts down gracefully, as SIGTERM does.
    public func stop() async {
        await group.get()?.triggerGracefulShutdown()
    }

    /// One reconciliation scan of the root; new tenants are picked up too.
    /// `only`: these tenants' folders alone (what they hold, and what was recorded for them).
    func rescan(layout: WatchLayout, priority: Priority, only tenants: Set<TenantID>? = nil) async throws -> Reconciler.Result {
        let (roots, problems) = try await BlockingIO.run {
            try TenantRoot.discover(root: layout.scanRoot, singleTenant: layout.singleTenant)
        }
        let reconciler = Reconciler(
            store: runtime.store, scanner: DirectoryScanner(rules: layout.rules), clock: runtime.clock, priority: priority)
        if let tenants {
            return try await reconciler.reconcile(roots.filter { tenants.contains($0.tenant) }, scanRoot: layout.scanRoot, tenantsOnly: true)
        }
        return try await reconciler.reconcile(
            roots, scanRoot: layout.scanRoot, rootProblems: layout.singleTenant == nil ? problems : nil)
    }
}
