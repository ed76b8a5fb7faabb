/// One search result.
public struct SearchHit: Sendable, Equatable {
    public var tenant: String
    public var docId: String
    public var ordinal: Int
    public var score: Float
    public var text: String
    /// The chunk's headings and pages, slides or sheets.
    public var location: ChunkLocation

    public init(tenant: String, docId: String, ordinal: Int, score: Float, text: String, location: ChunkLocation = ChunkLocation()) {
        self.tenant = tenant
        self.docId = docId
        self.ordinal = ordinal
        self.score = score
        self.text = text
        self.location = location
    }
}

extension SearchHit: Codable {
    private enum CodingKeys: String, CodingKey { case tenant, docId, ordinal, score, text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), docId: try container.decode(String.self, forKey: .docId),
            ordinal: try container.decode(Int.self, forKey: .ordinal), score: try container.decode(Float.self, forKey: .score),
            text: try container.decode(String.self, forKey: .text), location: try ChunkLocation(from: decoder))
    }

    /// The location's keys sit beside the others (`headingPath`, `page`...).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(docId, forKey: .docId)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(score, forKey: .score)
        try container.encode(text, forKey: .text)
        try location.encode(to: encoder)
    }
}

/// One stored chunk, as `sluice export` writes it.
public struct ExportedChunk: Sendable, Equatable {
    public var tenant: String
    public var docId: String
    public var ordinal: Int
    public var chunkId: String
    public var text: String
    /// SHA-256 of the chunk's text.
    public var textHash: String
    /// SHA-256 of the document version the chunk came from.
    public var contentHash: String
    public var revision: Int64
    /// The chunk's headings and pages, slides or sheets.
    public var location: ChunkLocation

    public init(
        tenant: String, docId: String, ordinal: Int, chunkId: String, text: String, textHash: String,
        contentHash: String, revision: Int64, location: ChunkLocation = ChunkLocation()
    ) {
        self.tenant = tenant
        self.docId = docId
        self.ordinal = ordinal
        self.chunkId = chunkId
        self.text = text
        self.textHash = textHash
        self.contentHash = contentHash
        self.revision = revision
        self.location = location
    }
}

extension ExportedChunk: Codable {
    private enum CodingKeys: String, CodingKey { case tenant, docId, ordinal, chunkId, text, textHash, contentHash, revision }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), docId: try container.decode(String.self, forKey: .docId),
            ordinal: try container.decode(Int.self, forKey: .ordinal), chunkId: try container.decode(String.self, forKey: .chunkId),
            text: try container.decode(String.self, forKey: .text), textHash: try container.decode(String.self, forKey: .textHash),
            contentHash: try container.decode(String.self, forKey: .contentHash),
            revision: try container.decode(Int64.self, forKey: .revision), location: try ChunkLocation(from: decoder))
    }

    /// The location's keys sit beside the others (`headingPath`, `page`...).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(docId, forKey: .docId)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(chunkId, forKey: .chunkId)
        try container.encode(text, forKey: .text)
        try container.encode(textHash, forKey: .textHash)
        try container.encode(contentHash, forKey: .contentHash)
        try container.encode(revision, forKey: .revision)
        try location.encode(to: encoder)
    }
}

/// Per-tenant counts for `status` and `tenants list`.
public struct TenantSummary: Sendable, Equatable, Codable {
    public var tenant: String
    public var indexed: Int
    public var skipped: Int
    public var deleted: Int
    public var pending: Int
    public var failed: Int
    public var chunks: Int
    public var lastActivity: Timestamp?

    public init(tenant: String, indexed: Int = 0, skipped: Int = 0, deleted: Int = 0, pending: Int = 0, failed: Int = 0, chunks: Int = 0, lastActivity: Timestamp? = nil) {
        self.tenant = tenant
        self.indexed = indexed
        self.skipped = skipped
        self.deleted = deleted
        self.pending = pending
        self.failed = failed
        self.chunks = chunks
        self.lastActivity = lastActivity
    }
}

/// The embedded index and document state, read side and maintenance.
///
/// Search is scoped to one tenant and one embedding model, so vectors of two
/// models never mix. Every method may throw `SluiceError(.storage)`.
public protocol IndexStore: Sendable {
    /// Top `k` chunks of `tenant` by cosine similarity to `vector` among
    /// chunks embedded by `modelKey`; with `attributes`, only chunks of
    /// documents whose `meta.attributes` hold every one of those values.
    func search(tenant: TenantID, vector: [Float], modelKey: String, k: Int, attributes: [String: String]) async throws -> [SearchHit]

    /// Which of `hashes` already have a vector under `modelKey`.
    func cachedEmbeddings(modelKey: String, textHashes: [ContentHash]) async throws -> Set<ContentHash>

    /// The cached vectors of those of `textHashes` that have one under `modelKey`
    /// (a remote sink needs every chunk's vector, not only the new ones).
    func embeddings(modelKey: String, textHashes: [ContentHash]) async throws -> [ContentHash: [Float]]

    func documentState(_ key: DocumentKey) async throws -> DocumentState?
    /// The states of several documents in one read; absent ones are left out.
    func documentStates(_ keys: [DocumentKey]) async throws -> [DocumentKey: DocumentState]
    func documents(tenant: TenantID, status: DocumentState.Status?) async throws -> [DocumentState]
    /// Every tenant's counts, by tenant name; only `tenant`'s (read by its
    /// key, not by summarizing the whole store) when given.
    func tenantSummaries(tenant: TenantID?) async throws -> [TenantSummary]
    /// Each tenant's current or last onboarding (one tenant's, with `tenant`),
    /// its rate measured over `window`.
    func onboardings(tenant: TenantID?, window: Duration) async throws -> [OnboardingProgress]
    /// Every tenant's onboarding and, in the same read, the wave of those in
    /// progress taken together (`OnboardingProgress.combined`, its rate
    /// measured over one window for all its tenants; nil when none is in progress).
    func onboardingReport(window: Duration) async throws -> (tenants: [OnboardingProgress], overall: OnboardingProgress?)

    /// Calls `body` with batches of stored chunks, in (tenant, docId, ordinal) order.
    func exportChunks(tenant: TenantID?, batchSize: Int, _ body: ([ExportedChunk]) throws -> Void) async throws

    /// Removes a tenant's documents, chunks, queue rows and file state. Returns the documents removed.
    @discardableResult
    func purge(tenant: TenantID) async throws -> Int

    /// Deletes vectors no chunk refers to. Only safe while no worker runs.
    @discardableResult
    func collectUnusedEmbeddings() async throws -> Int

    /// Queues every indexed document whose settings fingerprint is none of
    /// `accepted` for re-indexing (files are re-read). Returns how many.
    func requeueDocuments(notMatching accepted: Set<String>, priority: Priority) async throws -> Int

    /// Queues the files skipped with a reason starting `reasonPrefix` whose
    /// extension is now one of `extensions` (lowercased, without the dot):
    /// the types a newer Sluice reads that an older one skipped. Nothing
    /// else is re-read. Returns how many.
    func requeueSkippedFiles(reasonPrefix: String, extensions: Set<String>, priority: Priority) async throws -> Int

    /// Queues documents to be written to the sink again whatever their
    /// content (a repair, or a write whose lease was lost): an indexed or
    /// skipped document is processed again from its file or stored content;
    /// a deleted or unknown one gets a tombstone. `extent` is how many
    /// ordinals the sink may hold for the document, when it may hold more
    /// than the store recorded; the rewrite removes the surplus.
    /// Returns how many were queued.
    @discardableResult
    func requeueForRewrite(_ keys: [DocumentKey], extent: [DocumentKey: Int], priority: Priority) async throws -> Int

    /// With a remote sink, durably before a write: raises how far (one past
    /// the highest ordinal) each document's points in the sink may reach to
    /// at least `extents[key]` (a write can fail part-way, or land without
    /// being recorded), and returns, for `keys`, how far they may reach
    /// beyond what the store's chunk count says, as recorded before this
    /// raise (absent: no further). A write clears the document's points up to
    /// that; once recorded, a completion whose `sinkExtent` covers the
    /// recorded extent forgets it.
    func raiseSinkExtents(_ extents: [DocumentKey: Int], reading keys: [DocumentKey]) async throws -> [DocumentKey: Int]
}

/// The scan's view of the store: what was recorded about each file.
public protocol FileStateStore: Sendable {
    /// Every file recorded under `root`, and every file queued for indexing
    /// there without a recorded state, read in one transaction (a document a
    /// worker completes meanwhile is in one or the other).
    func recordedFiles(root: String) async throws -> RecordedFiles

    /// Every file-backed document of `tenant` whose id is `folder` or lies
    /// under it (`folder` empty: all of the tenant's), whether indexed, recorded
    /// by a scan, or still queued; for tombstoning a folder that went away.
    func fileDocuments(tenant: TenantID, under folder: String) async throws -> [DocumentKey]

    /// Applies one scan step in one transaction: records file states, forgets
    /// vanished files and enqueues their changes, so a crash never separates
    /// a recorded file state from its queued change.
    @discardableResult
    func applyScan(_ batch: ScanBatch) async throws -> [EnqueueOutcome]

    /// Replaces what earlier scans of `tenants` (and of the root itself, when
    /// `includingRoot`) found wrong with `problems`; idempotent.
    func replaceProblems(_ problems: [ScanProblem], of tenants: [TenantID], includingRoot: Bool) async throws

    /// The problems the last scans found: one tenant's, or everyone's (nil).
    func problems(tenant: TenantID?) async throws -> [ScanProblem]
}

/// What the store knows of the files under one scan root.
public struct RecordedFiles: Sendable, Equatable {
    /// The state recorded for each file when it was last read.
    public var states: [DocumentKey: FileState]
    /// Files with a queued upsert and no recorded state: new files waiting
    /// for a worker, or being processed by one. A worker records a file's
    /// state only when it finishes, so a file it read just before the file was
    /// deleted (the delete's event lost in an overflow) is known to a scan
    /// only through its queue row; the scan tombstones it if it is gone.
    public var queued: [DocumentKey: FileLocation]

    public init(states: [DocumentKey: FileState] = [:], queued: [DocumentKey: FileLocation] = [:]) {
        self.states = states
        self.queued = queued
    }
}

/// A unit of scan results to apply atomically.
public struct ScanBatch: Sendable {
    /// File states to record (new, changed, or touched with equal content).
    public var fileStates: [FileState]
    /// Files no longer present, whose state is forgotten.
    public var removedFiles: [DocumentKey]
    /// Changes to enqueue.
    public var changes: [Change]

    public init(fileStates: [FileState] = [], removedFiles: [DocumentKey] = [], changes: [Change] = []) {
        self.fileStates = fileStates
        self.removedFiles = removedFiles
        self.changes = changes
    }

    public var isEmpty: Bool { fileStates.isEmpty && removedFiles.isEmpty && changes.isEmpty }
}

extension IndexStore {
    /// Every tenant's counts, by tenant name.
    public func tenantSummaries() async throws -> [TenantSummary] {
        try await tenantSummaries(tenant: nil)
    }

    /// One tenant's counts (all zero for a tenant Sluice has not seen).
    public func tenantSummary(_ tenant: TenantID) async throws -> TenantSummary {
        try await tenantSummaries(tenant: tenant).first ?? TenantSummary(tenant: tenant.rawValue)
    }

    /// The wave of onboardings in progress taken together; nil when none is.
    public func overallOnboarding(window: Duration) async throws -> OnboardingProgress? {
        try await onboardingReport(window: window).overall
    }
}
