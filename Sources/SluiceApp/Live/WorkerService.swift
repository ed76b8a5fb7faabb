import ServiceLifecycle
import SluiceCore

/// Runs the workers until graceful shutdown.
struct WorkerService: Service {
    let workers: [Worker]
    let intakePressure: IntakePressure

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers {
                // Below the API and the intake: a backlog may wait, a client should not.
                group.addTask(priority: .background) { try await worker.run(.untilShutdown(givingWayTo: intakePressure)) }
            }
            try await group.waitForAll()
        }
    }
}
