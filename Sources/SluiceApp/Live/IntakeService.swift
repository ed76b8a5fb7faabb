import ServiceLifecycle
import SluiceWatch

/// Feeds watcher events to the intake until graceful shutdown or
/// cancellation (a process that lost its claim to watch the folder).
struct IntakeService: Service {
    let intake: LiveIntake
    let watcher: InotifyWatcher

    func run() async throws {
        let events = watcher.events()
        defer { watcher.stop() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await intake.run(events)
            } onGracefulShutdown: {
                events.finish()
            }
        } onCancel: {
            events.finish()
        }
    }
}
