import ServiceLifecycle
import SluiceCore

/// Scans at start, then periodically, whenever the intake asks (an overflow,
/// a batch it could not apply, a tenant's changed ignore rules), and every
/// minute the tenants with folders left unwatched.
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
        let unwatchedInterval = session.runtime.configuration.unwatchedRescanInterval
        let periodic = session.rescanInterval ?? .seconds(86_400 * 365)
        var periodicDue = clock.now() + periodic
        var unwatchedDue = clock.now() + unwatchedInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Folders left unwatched (past a tenant's budget or the kernel's limit) are only seen
            // by rescans: their tenants are scanned every minute (less often if that scan is long).
            let unwatched = intake.statistics.unwatched
            let deadline = unwatched.isEmpty ? periodicDue : min(periodicDue, unwatchedDue)
            let rescans = session.rescans
            let overflows = intake.statistics.overflows
            await withGracefulShutdownHandler {
                await rescans.doorbell.wait(until: deadline, clock: clock)
            } onGracefulShutdown: {
                rescans.doorbell.ring()
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            // What was asked (everything after lost events; the tenants whose ignore rules
            // changed), and what is due: a tenant that rewrites its ignore file in a loop, or
            // holds folders past its budget, costs scans of its own folder, never of everyone's.
            let asked = rescans.take()
            var scope = asked
            let started = clock.now()
            if started >= periodicDue { scope.everything = true }
            let unwatchedScan = !unwatched.isEmpty && started >= unwatchedDue
            if unwatchedScan { scope.formUnion(unwatched) }
            guard !scope.isEmpty else { continue }
            metrics.rescan(reason: RescanService.reason(asked: asked, overflowed: intake.statistics.overflows > overflows, scope: scope))
            do {
                let result = try await session.rescan(layout: layout, priority: .normal, only: scope.everything ? nil : scope.tenants)
                report(result.problems, new: &reported)
                if result.queued + result.tombstoned > 0 {
                    logger.notice("rescan found \(result.queued) changed and \(result.tombstoned) vanished files")
                }
            } catch {
                // Nothing a tenant puts in its folder ends the session; the next rescan tries again.
                logger.error("a rescan failed (\(SluiceError.describe(error))); trying again at the next one")
            }
            let finished = clock.now()
            if scope.everything { periodicDue = finished + periodic }
            if unwatchedScan || scope.everything {
                // At most a twentieth of the time goes to these scans, however many folders a tenant has.
                unwatchedDue = finished + max(unwatchedInterval, (finished - started) * 20)
            }
        }
    }

    /// The reason a rescan is counted under in `sluice_rescans_total`.
    static func reason(asked: RescanRequests.Scope, overflowed: Bool, scope: RescanRequests.Scope) -> String {
        if overflowed { return "overflow" }
        if !asked.everything && !asked.tenants.isEmpty { return "ignore_file" }
        return asked.isEmpty && !scope.everything ? "unwatched" : "periodic"
    }

    /// Logs the problems a scan found that the previous scans had not (every rescan finds them again).
    private func report(_ problems: [ScanProblem], new reported: inout Set<ScanProblem>) {
        if reported.count > 100_000 { reported.removeAll() }
        for problem in problems where reported.insert(problem).inserted {
            session.runtime.logger.warning("\(problem)")
        }
    }
}
