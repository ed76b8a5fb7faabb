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
