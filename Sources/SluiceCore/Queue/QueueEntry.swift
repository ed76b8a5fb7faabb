/// A document's one row in the durable queue, and its state transitions.
///
/// This is the pure heart of DESIGN.md invariants 2 and 3: backends load a
/// row, apply one of these transitions and store it back in the same
/// transaction, so every backend shares the same semantics.
public struct QueueEntry: Sendable, Equatable {
    public enum State: Int, Sendable {
        case queued = 0
        case dead = 1
    }

    /// A worker's hold on the entry.
    public struct Hold: Sendable, Equatable {
        public var token: String
        public var expiresAt: Timestamp
        /// The revision the worker is processing.
        public var revision: Int64

        public init(token: String, expiresAt: Timestamp, revision: Int64) {
            self.token = token
            self.expiresAt = expiresAt
            self.revision = revision
        }
    }

    public var key: DocumentKey
    /// The newest accepted change's revision.
    public var revision: Int64
    public var kind: Change.Kind
    public var origin: Origin
    public var contentHash: ContentHash?
    public var priority: Priority
    public var state: State
    /// First and last pending (not yet leased) change.
    public var firstChangeAt: Timestamp
    public var lastChangeAt: Timestamp
    public var readyAt: Timestamp
    /// Failed attempts at the current revision.
    public var attempts: Int
    /// Changes folded into this row since it was created.
    public var supersededCount: Int
    /// Times a worker's lease ran out (the worker died or hung).
    public var leaseExpiries: Int
    public var hold: Hold?
    public var lastError: String?
    public var enqueuedAt: Timestamp

    /// The number of expired leases after which a document is dead-lettered.
    public static let maxLeaseExpiries = 3

    /// A new row for a document with nothing queued.
    public init(change: Change, revision: Int64, now: Timestamp, settle: SettlePolicy) {
        self.key = change.key
        self.revision = revision
        self.kind = change.kind
        self.origin = change.origin
        self.contentHash = change.contentHash
        self.priority = change.priority
        self.state = .queued
        self.firstChangeAt = now
        self.lastChangeAt = now
        self.readyAt = change.activity == .settled ? now : settle.readyAt(firstChange: now, lastChange: now, busy: change.activity == .busy)
        self.attempts = 0
        self.supersededCount = 0
        self.leaseExpiries = 0
        self.hold = nil
        self.lastError = nil
        self.enqueuedAt = now
    }

    /// Restores a stored row; used by backends.
    public init(
        key: DocumentKey, revision: Int64, kind: Change.Kind, origin: Origin, contentHash: ContentHash?,
        priority: Priority, state: State, firstChangeAt: Timestamp, lastChangeAt: Timestamp, readyAt: Timestamp,
        attempts: Int, supersededCount: Int, leaseExpiries: Int, hold: Hold?, lastError: String?, enqueuedAt: Timestamp
    ) {
        self.key = key
        self.revision = revision
        self.kind = kind
        self.origin = origin
        self.contentHash = contentHash
        self.priority = priority
        self.state = state
        self.firstChangeAt = firstChangeAt
        self.lastChangeAt = lastChangeAt
        self.readyAt = readyAt
        self.attempts = attempts
        self.supersededCount = supersededCount
        self.leaseExpiries = leaseExpiries
        self.hold = hold
        self.lastError = lastError
        self.enqueuedAt = enqueuedAt
    }

    /// Whether a change newer than the one being worked on is waiting.
    public var hasPendingChange: Bool { hold.map { $0.revision != revision } ?? true }

    /// Folds a newer change into this row (coalescing). The row takes the new
    /// content, kind and revision, keeps the highest priority, and a dead
    /// letter comes back to life with a fresh attempt count.
    public mutating func coalesce(_ change: Change, revision: Int64, now: Timestamp, settle: SettlePolicy) {
        // The same version again (a rescan finds a file whose state was never
        // recorded because processing it killed the process): its lease
        // expiries stand, and once they made it a dead letter it stays one
        // until its content changes or `dlq retry` revives it.
        let sameVersion = change.kind == kind && change.contentHash != nil && change.contentHash == contentHash
        if sameVersion && state == .dead && leaseExpiries >= QueueEntry.maxLeaseExpiries { return }
        // A row queued without its content's hash (a new file a scan queued unread) takes the first
        // hash a rescan reads as its own version: its expiries stand too (a dead letter is revived
        // once, to learn it).
        let firstHash = change.kind == kind && contentHash == nil && change.contentHash != nil
        // A document that changes again while a change is pending is busy.
        let busy = change.activity == .busy || (state == .queued && hasPendingChange)
        if !hasPendingChange || state == .dead {
            // The first change after a leased revision, or after a dead letter,
            // starts a new pending period.
            firstChangeAt = now
        }
        if state == .dead {
            priority = change.priority
        } else {
            priority = max(priority, change.priority)
        }
        self.revision = revision
        kind = change.kind
        origin = change.origin
        contentHash = change.contentHash
        state = .queued
        lastChangeAt = now
        readyAt = change.activity == .settled ? now : settle.readyAt(firstChange: firstChangeAt, lastChange: now, busy: busy)
        attempts = 0
        if !sameVersion && !firstHash { leaseExpiries = 0 }
        lastError = nil
        supersededCount += 1
    }

    /// Whether a worker may lease this row at `now`.
    public func isLeasable(at now: Timestamp) -> Bool {
        guard state == .queued, readyAt <= now else { return false }
        guard let hold else { return true }
        return hold.expiresAt <= now
    }

    public enum LeaseOutcome: Sendable, Equatable {
        case leased
        /// The previous holder's lease ran out too often: the entry is now a dead letter.
        case deadLettered
    }

    /// The lease handed to a worker once `token` holds this row.
    public func lease(token: String) -> Lease {
        Lease(
            key: key, token: token, revision: revision, kind: kind, origin: origin, contentHash: contentHash,
            priority: priority, expiresAt: hold?.expiresAt ?? readyAt, attempts: attempts, enqueuedAt: enqueuedAt)
    }

    /// Takes the lease. An expired previous hold counts against the document.
    public mutating func lease(token: String, now: Timestamp, duration: Duration) -> LeaseOutcome {
        if hold != nil {
            let outcome = expireHold()
            if outcome == .deadLettered { return .deadLettered }
        }
        hold = Hold(token: token, expiresAt: now + duration, revision: revision)
        return .leased
    }

    /// Drops a hold whose worker is gone (expired or left by a dead process),
    /// counting it; the third time the entry becomes a dead letter.
    @discardableResult
    public mutating func expireHold() -> LeaseOutcome {
        guard hold != nil else { return .leased }
        hold = nil
        leaseExpiries += 1
        if leaseExpiries >= QueueEntry.maxLeaseExpiries {
            state = .dead
            lastError = "its lease expired \(leaseExpiries) times: processing it keeps killing or hanging the worker"
            return .deadLettered
        }
        return .leased
    }

    /// Whether `token` is the live hold at `now`.
    public func isHeld(by token: String, at now: Timestamp) -> Bool {
        guard let hold, hold.token == token else { return false }
        return hold.expiresAt > now
    }

    public mutating func renew(token: String, now: Timestamp, duration: Duration) -> Bool {
        guard isHeld(by: token, at: now) else { return false }
        hold?.expiresAt = now + duration
        return true
    }

    public enum CompletionEffect: Sendable, Equatable {
        /// The processed revision is the newest: remove the row.
        case remove
        /// A newer change arrived meanwhile: the row stays queued for it.
        case keepQueued
        /// The lease no longer holds: nothing may be applied.
        case rejected
    }

    /// Completes the held revision.
    public mutating func complete(token: String, now: Timestamp) -> CompletionEffect {
        guard isHeld(by: token, at: now), let hold else { return .rejected }
        self.hold = nil
        if hold.revision == revision { return .remove }
        return .keepQueued
    }

    public enum FailureEffect: Sendable, Equatable {
        case retryAt(Timestamp)
        case deadLettered
        /// A newer change arrived meanwhile; it is tried afresh.
        case superseded
        case rejected
    }

    /// Records a failed attempt at the held revision.
    /// Counts a failed attempt: retried after the policy's backoff (never
    /// sooner than `notBefore`, a Retry-After), or a dead letter.
    public mutating func fail(
        token: String, reason: String, retryable: Bool, now: Timestamp,
        policy: RetryPolicy, notBefore: Duration? = nil, using generator: inout some RandomNumberGenerator
    ) -> FailureEffect {
        guard isHeld(by: token, at: now), let hold else { return .rejected }
        self.hold = nil
        if hold.revision != revision { return .superseded }
        attempts += 1
        lastError = reason
        if !retryable || attempts >= policy.maxAttempts {
            state = .dead
            return .deadLettered
        }
        readyAt = now + max(policy.delay(afterAttempt: attempts, using: &generator), notBefore ?? .zero)
        return .retryAt(readyAt)
    }

    /// Gives the lease back without counting an attempt (shutdown).
    public mutating func release(token: String) -> Bool {
        guard hold?.token == token else { return false }
        hold = nil
        return true
    }

    /// Gives the lease back until `time` without counting an attempt (the
    /// file is still being written). Returns false when the lease is not held.
    public mutating func postpone(token: String, until time: Timestamp, now: Timestamp) -> Bool {
        guard isHeld(by: token, at: now) else { return false }
        hold = nil
        readyAt = max(readyAt, time)
        return true
    }

    /// Brings a dead letter back with a fresh attempt count.
    public mutating func revive(now: Timestamp) {
        guard state == .dead else { return }
        state = .queued
        attempts = 0
        leaseExpiries = 0
        hold = nil
        readyAt = now
    }
}
