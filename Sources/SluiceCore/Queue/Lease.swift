/// A worker's claim on one document's queue row, for one revision.
public struct Lease: Sendable, Equatable {
    public var key: DocumentKey
    public var token: String
    public var revision: Int64
    public var kind: Change.Kind
    public var origin: Origin
    public var contentHash: ContentHash?
    public var priority: Priority
    public var expiresAt: Timestamp
    /// Failed attempts so far at this revision.
    public var attempts: Int
    /// When the oldest change folded into this revision was accepted.
    public var enqueuedAt: Timestamp

    public init(
        key: DocumentKey, token: String, revision: Int64, kind: Change.Kind, origin: Origin,
        contentHash: ContentHash?, priority: Priority, expiresAt: Timestamp, attempts: Int, enqueuedAt: Timestamp
    ) {
        self.key = key
        self.token = token
        self.revision = revision
        self.kind = kind
        self.origin = origin
        self.contentHash = contentHash
        self.priority = priority
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.enqueuedAt = enqueuedAt
    }
}

/// What processing a leased document produced.
public enum DocumentResult: Sendable, Equatable {
    /// New chunks for the index.
    case indexed(IndexedDocument)
    /// The content is already indexed with the current settings: nothing to write.
    case unchanged(contentHash: ContentHash)
    /// The document is gone: remove its chunks and record a tombstone.
    case deleted
    /// Recorded but not indexed (unsupported type, too large, binary...).
    /// Any chunks of an earlier version are removed.
    case skipped(contentHash: ContentHash?, reason: String)
}

extension DocumentResult {
    /// How many chunks the document holds once this is recorded (its
    /// `chunk_count`, which the tenant's count sums); nil: as many as before.
    public var recordedChunkCount: Int? {
        switch self {
        case .indexed(let document): document.chunks.count
        case .unchanged: nil
        case .deleted, .skipped: 0
        }
    }
}

public struct IndexedDocument: Sendable, Equatable {
    public var contentHash: ContentHash
    public var title: String?
    public var chunks: [IndexedChunk]
    /// The embedder's cache key (`Embedder.modelKey`) the vectors belong to.
    public var modelKey: String
    public var dimension: Int
    /// Embedder, chunker and extractor settings that produced the chunks.
    public var settingsFingerprint: String
    /// What the extractor left out and says so (e.g. "2 images without text left out").
    public var notes: [String]

    public init(
        contentHash: ContentHash, title: String?, chunks: [IndexedChunk], modelKey: String, dimension: Int,
        settingsFingerprint: String, notes: [String] = []
    ) {
        self.contentHash = contentHash
        self.title = title
        self.chunks = chunks
        self.modelKey = modelKey
        self.dimension = dimension
        self.settingsFingerprint = settingsFingerprint
        self.notes = notes
    }
}

/// A finished lease, handed back to the queue.
public struct Completion: Sendable, Equatable {
    public var lease: Lease
    public var result: DocumentResult
    /// What the worker saw of the document's file, recorded with the result so
    /// the next scan knows the file without hashing it again.
    public var file: FileRecord?
    /// With a remote sink: how far (one past the highest ordinal) the
    /// confirmed write cleared the document's points (`Int.max` for a
    /// removal); the store then forgets a sink extent up to it.
    public var sinkExtent: Int?

    public init(lease: Lease, result: DocumentResult, file: FileRecord? = nil, sinkExtent: Int? = nil) {
        self.lease = lease
        self.result = result
        self.file = file
        self.sinkExtent = sinkExtent
    }
}

/// A file observation that travels with a completion.
public enum FileRecord: Sendable, Equatable {
    /// The file as read: its state is recorded.
    case seen(FileState)
    /// The file is gone: its state is forgotten.
    case gone
}

public enum CompletionOutcome: Sendable, Equatable {
    /// Applied; the queue row is gone.
    case applied
    /// Applied; a newer change is still queued for the document.
    case appliedNewerPending
    /// Not applied: the index already holds this or a newer revision.
    case stale
    /// Not applied: the lease no longer held. The row stays queued, so the
    /// newest revision is processed again.
    case leaseLost
}

public enum FailureOutcome: Sendable, Equatable {
    case willRetry(at: Timestamp)
    case deadLettered
    case superseded
    case leaseLost
}

public enum EnqueueOutcome: Sendable, Equatable {
    /// A new queue row.
    case queued(revision: Int64)
    /// Folded into the document's existing row.
    case coalesced(revision: Int64)

    public var revision: Int64 {
        switch self {
        case .queued(let revision), .coalesced(let revision): revision
        }
    }
}

/// Queue depth, as `status` shows it.
public struct QueueDepth: Sendable, Equatable, Codable {
    public var ready: [Priority: Int]
    public var delayed: Int
    public var leased: Int
    public var dead: Int

    public init(ready: [Priority: Int] = [:], delayed: Int = 0, leased: Int = 0, dead: Int = 0) {
        self.ready = ready
        self.delayed = delayed
        self.leased = leased
        self.dead = dead
    }

    /// Rows that still need work (ready, delayed or leased).
    public var pending: Int { ready.values.reduce(0, +) + delayed + leased }

    /// Ready rows by priority name, every priority present.
    public var readyByPriorityName: [String: Int] {
        Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.description, ready[$0] ?? 0) })
    }

    /// As `status --json` and `GET /v1/stats` show it.
    public struct Summary: Sendable, Codable, Equatable {
        public var ready: [String: Int]
        public var delayed: Int
        public var leased: Int
        public var deadLetters: Int
    }

    public var summary: Summary {
        Summary(ready: readyByPriorityName, delayed: delayed, leased: leased, deadLetters: dead)
    }
}
