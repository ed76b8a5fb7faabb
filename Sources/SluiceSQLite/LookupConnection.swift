import GRDB
import Synchronization

/// A read-only connection of its own for lookups made on the calling thread
/// (see `SQLiteStore.readNow`), opened on first use.
final class LookupConnection: Sendable {
    private let path: String
    private let queue = Mutex<DatabaseQueue?>(nil)

    init(path: String) {
        self.path = path
    }

    func connection() throws -> DatabaseQueue {
        try queue.withLock { queue in
            if let queue { return queue }
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            configuration.label = "sluice.lookups"
            let opened = try DatabaseQueue(path: path, configuration: configuration)
            queue = opened
            return opened
        }
    }
}
