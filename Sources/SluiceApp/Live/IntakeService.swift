import ServiceLifecycle
import SluiceWatch

/// Feeds watcher events to the intake until graceful shutdown.
struct IntakeService: Service {
    let intake: LiveIntake
    let watcher: InotifyWatcher

    func run() async throws {
        let events = watcher.events()
        defer { watcher.stop() }
        await withGracefulShutdownHandler {
            await intake.run(events)
        } onGracefulShutdown: {
            events.finish()
        }
    }
}
