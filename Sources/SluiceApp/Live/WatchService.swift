import Logging
import ServiceLifecycle
import SluiceCore
import SluiceWatch
import Synchronization

/// Watches the folder: inotify, the intake and the rescans (a scan first).
///
/// With a store many processes share (`WatchClaims`), only the process that
/// holds the folder's claim watches; it renews the claim every third of its
/// length. The others stand by, trying the claim as often; the first to find
/// it expired (its holder died) or given up (its holder stopped) takes over,
/// and its first scan finds what changed in the gap. A holder that finds its
/// claim taken (it could not renew it in time) stops watching and stands by.
struct WatchService: Service {
    let session: LiveSession
    let layout: WatchLayout
    /// Called once the folder is watched and scanned, or this process stands by.
    let onReady: @Sendable () -> Void

    func run() async throws {
        let ready = Once(onReady)
        guard let claims = session.runtime.store as? any WatchClaims else {
            try await watch(onFirstScan: ready.call)
            return
        }
        let root = layout.scanRoot
        let runtime = session.runtime
        let duration = runtime.configuration.watchClaimDuration
        var holder: String?
        var held = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let claim: WatchClaim
            let asked = runtime.clock.now()
            do {
                claim = try await claims.claimWatch(of: root, for: duration)
                runtime.storeOutage.answered(askedAt: asked)
            } catch let error as SluiceError where error.code == .storage && error.isRetryable {
                _ = runtime.storeOutage.failed(error)
                await pause(duration / 3)
                continue
            }
            switch claim {
            case .heldBy(let other):
                if holder != other {
                    runtime.logger.notice(
                        "standing by: \(other) watches \(root); this process takes over if that one stops for \(duration.seconds.formatted()) s")
                    holder = other
                }
                ready.call()
                await pause(duration / 3)
            case .held:
                if holder != nil { runtime.logger.notice("taking over the watch of \(root) from \(holder ?? "")") }
                holder = nil
                held = true
                try await watchWhileHeld(claims, root: root, duration: duration, onFirstScan: ready.call)
            }
        }
        if held { try? await claims.releaseWatch(of: root) }
    }

    /// Watches while the claim is renewed; returns at graceful shutdown or
    /// when the claim is found to be another's.
    private func watchWhileHeld(_ claims: any WatchClaims, root: String, duration: Duration, onFirstScan: @escaping @Sendable () -> Void) async throws {
        let runtime = session.runtime
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await watch(onFirstScan: onFirstScan)
                return true
            }
            group.addTask {
                // Renewing; false when another process holds the claim now.
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    await pause(duration / 3)
                    if Task.isShuttingDownGracefully || Task.isCancelled { return true }
                    do {
                        if case .heldBy(let other) = try await claims.claimWatch(of: root, for: duration) {
                            runtime.logger.warning("\(other) watches \(root) now (this process could not renew its claim in time); standing by")
                            return false
                        }
                    } catch let error as SluiceError where error.code == .storage && error.isRetryable {
                        // Still watching: nobody else can take the claim while the store does not answer them either.
                        _ = runtime.storeOutage.failed(error)
                    }
                }
                return true
            }
            // The watch ends only at shutdown; the renewal at shutdown or when the claim is lost.
            if try await group.next() == false {
                group.cancelAll()
            }
            try await group.waitForAll()
        }
    }

    /// Watches until graceful shutdown or cancellation.
    private func watch(onFirstScan: @escaping @Sendable () -> Void) async throws {
        let runtime = session.runtime
        let watcher = InotifyWatcher(
            root: layout.scanRoot, shouldWatch: { [layout] in layout.shouldWatch($0) }, budget: layout.watchBudget(runtime.configuration.tenantMaxWatchedFolders))
        try await BlockingIO.run { try watcher.start() }
        runtime.logger.notice("watching \(layout.scanRoot)")
        let intake = LiveIntake(
            store: runtime.store, layout: layout, settle: runtime.configuration.settlePolicy, clock: runtime.clock,
            rescans: session.rescans, logger: runtime.logger, metrics: runtime.metrics)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await RescanService(session: session, layout: layout, intake: intake, onFirstScan: onFirstScan).run() }
            group.addTask { try await IntakeService(intake: intake, watcher: watcher).run() }
            try await group.waitForAll()
        }
    }

    /// Sleeps for `duration`, less at graceful shutdown or cancellation.
    private func pause(_ duration: Duration) async {
        let clock = session.runtime.clock
        let bell = Doorbell()
        await withGracefulShutdownHandler {
            await bell.wait(until: clock.now() + duration, clock: clock)
        } onGracefulShutdown: {
            bell.ring()
        }
    }
}

/// Calls a function the first time only.
final class Once: Sendable {
    private let function: Mutex<(@Sendable () -> Void)?>

    init(_ function: @escaping @Sendable () -> Void) {
        self.function = Mutex(function)
    }

    func call() {
        let function = self.function.withLock { function in
            defer { function = nil }
            return function
        }
        function?()
    }
}
