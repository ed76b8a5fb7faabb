import SluiceCore
import Synchronization

/// The leases of a worker's batch not yet handed back (completed, failed or
/// postponed): what the heartbeat renews. Each is dropped right before it is
/// handed back, so a renewal never races its completion (a batch finished in
/// parts, to stay within the memory budget, and a renewal queued behind a
/// long completion used to find leases gone and report them lost).
final class WorkingLeases: Sendable {
    private let leases = Mutex<[Lease]>([])

    func begin(_ batch: [Lease]) { leases.withLock { $0 = batch } }

    var current: [Lease] { leases.withLock { $0 } }

    func done(_ tokens: [String]) {
        let tokens = Set(tokens)
        leases.withLock { $0.removeAll { tokens.contains($0.token) } }
    }
}

/// A leased document once read: what the processor made of it, and what it saw of its file.
struct WorkItem: Sendable {
    var lease: Lease
    var prepared: DocumentProcessor.Prepared
    var file: FileRecord?
}
