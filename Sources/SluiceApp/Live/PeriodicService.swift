import ServiceLifecycle
import SluiceCore

/// Does `work` every `interval` (the first time after one interval) until
/// graceful shutdown: the activity report, the health check, collecting
/// unused vectors. A failed round is logged and the next one comes as usual
/// (none of them is worth stopping Sluice for).
struct PeriodicService: Service {
    let name: String
    let interval: Duration
    let runtime: SluiceRuntime
    let work: @Sendable () async throws -> Void

    func run() async throws {
        let clock = runtime.clock
        while true {
            let tick = Doorbell()
            await withGracefulShutdownHandler {
                await tick.wait(until: clock.now() + interval, clock: clock)
            } onGracefulShutdown: {
                tick.ring()
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                try await work()
            } catch let error as SluiceError where error.code == .storage && error.isRetryable {
                // The store is down: said once (and every 30 s) for the whole process, not by every round.
                _ = runtime.storeOutage.failed(error)
            } catch {
                runtime.logger.warning("could not \(name): \(error)")
            }
        }
    }
}
