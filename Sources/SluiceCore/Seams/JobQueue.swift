/// The durable queue: one row per (tenant, docId), leases with tokens and
/// expiry, revision fencing, retries with backoff and dead letters.
///
/// Contract (checked by `JobQueueConformance` in SluiceTesting for every backend):
/// - `enqueue` is durable when it returns. A change to a document that
///   already has a row updates that row (coalescing): newest revision and
///   content, highest priority, settle-window ready time; a dead letter is
///   revived with a fresh attempt count.
/// - At most one live lease per document. `lease` returns ready rows by
///   priority, then ready time. A row whose lease expired is leasable again;
///   the third expiry makes it a dead letter.
/// - `complete` applies a result only while the lease holds and the
///   revision is newer than the indexed one; the row is removed if no newer
///   change arrived, else it stays queued for the newer one. Backends that
///   host the embedded index write chunks in the same transaction.
/// - `fail` schedules a retry with backoff or dead-letters the row.
/// - Every method may throw `SluiceError` with code `.storage`; none is
///   idempotent unless stated. Cancellation leaves the store consistent
///   (each call is one transaction).
public protocol JobQueue: Sendable {
    @discardableResult
    func enqueue(_ changes: [Change]) async throws -> [EnqueueOutcome]

    /// Leases up to `limit` ready documents for `duration`.
    func lease(limit: Int, duration: Duration) async throws -> [Lease]

    /// Extends live leases; returns the tokens that no longer hold.
    func renew(_ leases: [Lease], duration: Duration) async throws -> Set<String>

    /// Applies finished work, one outcome per completion, in one transaction.
    func complete(_ completions: [Completion]) async throws -> [CompletionOutcome]

    /// Records a failed attempt.
    func fail(_ lease: Lease, error: SluiceError) async throws -> FailureOutcome

    /// Gives a lease back until `time` without counting an attempt (the file is
    /// still being written).
    func postpone(_ lease: Lease, until time: Timestamp) async throws

    /// Gives leases back without counting an attempt (graceful shutdown).
    func release(_ leases: [Lease]) async throws

    /// Drops every lease left by a process that is gone. An expiry is counted
    /// only for the leases in `blamed` (the documents being read and extracted
    /// when it died: the ones that may have killed it); the others were only
    /// in the same batch and go back to the queue as they were. Called by the
    /// process that holds the worker lock when it starts.
    @discardableResult
    func releaseAbandonedLeases(blaming blamed: Set<String>) async throws -> Int

    /// The queue row of one document: its pending change, if any.
    func entry(_ key: DocumentKey) async throws -> QueueEntry?

    /// Rung after every commit that queues work, with the time it becomes
    /// ready, so idle workers in this process look again only when needed.
    var readiness: Doorbell { get }

    /// Rung after every commit that completes documents, so a client waiting
    /// for one to be indexed (`?wait`) looks again right then.
    var completions: Doorbell { get }

    /// The earliest time a queued row becomes ready or a lease expires; nil when
    /// nothing is pending (dead letters do not count).
    func nextWakeTime() async throws -> Timestamp?

    func depth() async throws -> QueueDepth
}
