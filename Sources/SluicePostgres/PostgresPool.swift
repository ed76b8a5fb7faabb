import Logging
import PostgresNIO
import Synchronization

/// postgres-nio's connection pool with the task that runs it. A store
/// replaces its pool when the server stops answering: the old pool's waiting
/// calls fail at once, and the new one, never having failed to connect,
/// connects as soon as the server is back instead of after the old one's
/// backoff (up to a minute).
final class PostgresPool: Sendable {
    let client: PostgresClient
    private let running: Task<Void, Never>
    private let started: Started

    /// Set by the pool's task as it enters `PostgresClient.run()`; a lease
    /// before that works but logs a warning, so `start` waits for it.
    private final class Started: Sendable { let value = Atomic(false) }

    private init(client: PostgresClient) {
        self.client = client
        let started = Started()
        self.started = started
        running = Task {
            started.value.store(true, ordering: .releasing)
            await client.run()
        }
    }

    /// A pool for `configuration`, running once this returns.
    static func start(_ configuration: PostgresClient.Configuration, logger: Logger) async -> PostgresPool {
        let pool = PostgresPool(client: PostgresClient(configuration: configuration, backgroundLogger: logger))
        while !pool.started.value.load(ordering: .acquiring) { await Task.yield() }
        await Task.yield()
        return pool
    }

    /// Stops the pool: calls waiting for a connection fail, connections close.
    func stop() async {
        running.cancel()
        _ = await running.value
    }
}
