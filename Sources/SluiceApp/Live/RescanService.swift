import ServiceLifecycle
import SluiceCore

/// Scans at start, then periodically and whenever the intake asks (overflow).
struct RescanService: Service {
    let session: LiveSession
    let layout: WatchLayout
    let intake: LiveIntake
    let onFirstScan: @Sendable () -> Void

    func run() async throws {
        let clock = session.runtime.clock
        let logger = session.runtime.logger
        let metrics = session.runtime.metrics
        metrics.rescan(reason: "start")
        var reported = Set<ScanProblem>()
        do {
            let first = try await session.rescan(layout: layout, priority: .low)
            report(first.problems, new: &reported)
            logger.notice("initial scan: \(first.filesSeen) files, \(first.queued) queued, \(first.tombstoned) tombstoned")
        } catch {
            logger.error("the initial scan failed (\(SluiceError.describe(error))); watching anyway, and scanning again at the next rescan")
        }
        onFirstScan()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Folders past the inotify watch limit are only seen by rescans: scan every minute then.
            var interval = session.rescanInterval ?? .seconds(86_400 * 365)
            if intake.statistics.unwatchedFolders { interval = min(interval, .seconds(60)) }
            let deadline = clock.now() + interval
            let rescans = session.rescans
            let overflows = intake.statistics.overflows
            await withGracefulShutdownHandler {
                await rescans.doorbell.wait(until: deadline, clock: clock)
            } onGracefulShutdown: {
                rescans.doorbell.ring()
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            // Some tenants' ignore rules changed, and nothing asked for more: those tenants only.
            let asked = rescans.take()
            let tenants = asked.everything || asked.tenants.isEmpty ? nil : asked.tenants
            metrics.rescan(reason: tenants != nil ? "ignore_file" : intake.statistics.overflows > overflows ? "overflow" : "periodic")
            do {
                let result = try await session.rescan(layout: layout, priority: .normal, only: tenants)
                report(result.problems, new: &reported)
                if result.queued + result.tombstoned > 0 {
                    logger.notice("rescan found \(result.queued) changed and \(result.tombstoned) vanished files")
                }
            } catch {
                // Nothing a tenant puts in its folder ends the session; the next rescan tries again.
                logger.error("a rescan failed (\(SluiceError.describe(error))); trying again at the next one")
            }
        }
    }

    /// Logs the problems a scan found that the previous scans had not (every rescan finds them again).
    private func report(_ problems: [ScanProblem], new reported: inout Set<ScanProblem>) {
        if reported.count > 100_000 { reported.removeAll() }
        for problem in problems where reported.insert(problem).inserted {
            session.runtime.logger.warning("\(problem)")
        }
    }
}
