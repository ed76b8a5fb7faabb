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

/// The leases of a batch the store failed under (a long-running process
/// waits out a store that does not answer): given back as soon as the store
/// answers again, so their documents are processed again at once instead of
/// after their leases expire. A lease already handed back is left alone (the
/// queue releases only the lease whose token it holds).
final class StrandedLeases: Sendable {
    private let leases = Mutex<[Lease]>([])

    func keep(_ batch: [Lease]) { leases.withLock { $0 += batch } }

    /// Gives the kept leases back to `queue`; kept for the next try if the store still fails.
    func giveBack(to queue: any JobQueue) async throws {
        let batch = leases.withLock { leases in
            defer { leases = [] }
            return leases
        }
        guard !batch.isEmpty else { return }
        do {
            try await queue.release(batch)
        } catch {
            keep(batch)
            throw error
        }
    }
}

/// A leased document once read: what the processor made of it, and what it saw of its file.
struct WorkItem: Sendable {
    var lease: Lease
    var prepared: DocumentProcessor.Prepared
    var file: FileRecord?
}
