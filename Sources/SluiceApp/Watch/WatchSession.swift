import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceSQLite
import SluiceWatch
import Synchronization

/// `sluice run DIR --watch`: keeps the index in step with DIR until stopped.
///
/// Start-up: take the worker lock, release abandoned leases, add inotify
/// watches on every folder, then run three services in one `ServiceGroup`:
/// the workers, the rescanner (a reconciliation scan at once, then every
/// SLUICE_RESCAN_INTERVAL and after a kernel queue overflow) and the intake.
/// SIGTERM and SIGINT shut down gracefully in reverse order: intake first,
/// then the rescanner, then the workers finish the batch in hand; the store
/// closes last.
public final class WatchSession: Sendable {
    let runtime: SluiceRuntime
    let options: Runner.Options
    let rescanInterval: Duration?
    let handleSignals: Bool
    let doorbell = Doorbell()
    let rescans = Doorbell()
    private let group = LockedValue<ServiceGroup?>(nil)
    public let progress = RunProgress()

    /// - Parameters:
    ///   - rescanInterval: the periodic safety rescan; nil disables it.
    ///   - handleSignals: shut down gracefully on SIGTERM and SIGINT.
    public init(runtime: SluiceRuntime, options: Runner.Options, rescanInterval: Duration?, handleSignals: Bool = true) {
        self.runtime = runtime
        self.options = options
        self.rescanInterval = rescanInterval
        self.handleSignals = handleSignals
    }

    /// What a watch session reports every few seconds.
    public struct Activity: Sendable {
        public var processed: RunProgress.Snapshot
        public var queue: QueueDepth
    }

    /// Runs until a graceful shutdown (signal or `stop()`). `onReady` is called
    /// once the watches are in place and the first scan is done; `onActivity`
    /// about every two seconds.
    public func run(
        onReady: @escaping @Sendable () -> Void = {}, onActivity: @escaping @Sendable (Activity) -> Void = { _ in }
    ) async throws {
        let logger = runtime.logger
        let (lock, _) = try await Runner(runtime: runtime).becomeWorkerProcess(root: options.root)
        defer { lock.release() }

        guard let scanRoot = FileSystem.realPath(options.root) else {
            throw SluiceError(.configuration, "the folder \(options.root) does not exist; check the path and run again")
        }
        let rules = try Runner(runtime: runtime).rules()
        let layout = WatchLayout(scanRoot: scanRoot, singleTenant: options.singleTenant, rules: rules)
        let watcher = InotifyWatcher(root: scanRoot, shouldWatch: { layout.shouldWatch($0) })
        try await BlockingIO.run { try watcher.start() }
        logger.notice("watching \(scanRoot)")

        let intake = LiveIntake(
            store: runtime.store, layout: layout, clock: runtime.clock, doorbell: doorbell, rescans: rescans, logger: logger)
        let workers = Runner(runtime: runtime).makeWorkers(progress: progress)
        let services: [any Service] = [
            WorkerService(workers: workers, doorbell: doorbell),
            ActivityService(session: self, report: onActivity),
            RescanService(session: self, layout: layout, intake: intake, onFirstScan: onReady),
            IntakeService(intake: intake, watcher: watcher),
        ]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        self.group.set(group)
        try await group.run()
        logger.notice("stopped watching \(scanRoot); pending changes stay queued for the next start")
    }

    /// Shuts down gracefully, as SIGTERM does.
    public func stop() async {
        await group.get()?.triggerGracefulShutdown()
    }

    /// One reconciliation scan of the root; new tenants are picked up too.
    func rescan(layout: WatchLayout, priority: Priority) async throws -> Reconciler.Result {
        let (roots, problems) = try await BlockingIO.run { [options] in
            try TenantRoot.discover(root: layout.scanRoot, singleTenant: options.singleTenant)
        }
        for problem in problems { runtime.logger.warning("\(problem)") }
        let reconciler = Reconciler(
            store: runtime.store, scanner: DirectoryScanner(rules: layout.rules), clock: runtime.clock,
            priority: priority, logger: runtime.logger)
        let result = try await reconciler.reconcile(roots, scanRoot: layout.scanRoot)
        doorbell.ring()
        return result
    }
}

/// Runs the workers until graceful shutdown.
struct WorkerService: Service {
    let workers: [Worker]
    let doorbell: Doorbell

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask { try await worker.runUntilShutdown(doorbell: doorbell) }
            }
            try await group.waitForAll()
        }
    }
}

/// Scans at start, then periodically and whenever the intake asks (overflow).
struct RescanService: Service {
    let session: WatchSession
    let layout: WatchLayout
    let intake: LiveIntake
    let onFirstScan: @Sendable () -> Void

    func run() async throws {
        let clock = session.runtime.clock
        let logger = session.runtime.logger
        let first = try await session.rescan(layout: layout, priority: .low)
        logger.notice("initial scan: \(first.filesSeen) files, \(first.queued) queued, \(first.tombstoned) tombstoned")
        onFirstScan()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Folders past the inotify watch limit are only seen by rescans: scan every minute then.
            var interval = session.rescanInterval ?? .seconds(86_400 * 365)
            if intake.statistics.unwatchedFolders { interval = min(interval, .seconds(60)) }
            let deadline = clock.now() + interval
            let rescans = session.rescans
            await withGracefulShutdownHandler {
                await rescans.wait(until: deadline, clock: clock)
            } onGracefulShutdown: {
                rescans.ring()
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            let result = try await session.rescan(layout: layout, priority: .normal)
            if result.queued + result.tombstoned > 0 {
                logger.notice("rescan found \(result.queued) changed and \(result.tombstoned) vanished files")
            }
        }
    }
}

/// Reports what was processed and what is queued, every two seconds.
struct ActivityService: Service {
    let session: WatchSession
    let report: @Sendable (WatchSession.Activity) -> Void

    func run() async throws {
        let clock = session.runtime.clock
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let tick = Doorbell()
            await withGracefulShutdownHandler {
                await tick.wait(until: clock.now() + .seconds(2), clock: clock)
            } onGracefulShutdown: {
                tick.ring()
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            report(WatchSession.Activity(processed: session.progress.snapshot(), queue: try await session.runtime.store.depth()))
        }
    }
}

/// Feeds watcher events to the intake until graceful shutdown.
struct IntakeService: Service {
    let intake: LiveIntake
    let watcher: InotifyWatcher

    func run() async throws {
        let events = watcher.events()
        defer { watcher.stop() }
        await withGracefulShutdownHandler {
            do {
                try await intake.run(events)
            } catch {
                intake.logger.error("the watcher's intake stopped: \(error)")
            }
        } onGracefulShutdown: {
            events.finish()
        }
    }
}

/// A value behind a lock, for the one mutable reference a session keeps.
final class LockedValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func get() -> Value { storage.withLock { $0 } }
    func set(_ value: Value) { storage.withLock { $0 = value } }
}
