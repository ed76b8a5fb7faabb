import SluiceCore

/// What `sluice run` did, printed at the end (and as JSON with `--json`).
public struct RunSummary: Sendable, Codable, Equatable {
    /// The tenants scanned.
    public var tenants: [String] = []
    /// Files found by the scan (after ignore rules).
    public var filesScanned = 0
    /// Documents indexed (new or changed content).
    public var indexed = 0
    /// Documents whose content was already indexed (found by the scan or by a worker).
    public var unchanged = 0
    /// Documents tombstoned.
    public var deleted = 0
    /// Documents recorded as skipped in this run.
    public var skipped = 0
    /// Why documents were skipped, with counts.
    public var skipReasons: [String: Int] = [:]
    /// Dead letters among the run's tenants (including earlier ones still failing).
    public var failed = 0
    /// Up to 20 dead letters with their reasons.
    public var failures: [String] = []
    /// Chunks sent to the embedder.
    public var chunksEmbedded = 0
    /// Chunks whose vector came from the embedding cache.
    public var chunksReused = 0
    /// Documents queued again because the embedder or chunker settings changed.
    public var reindexedForSettings = 0
    /// Things worth telling the user (skipped folders, odd names).
    public var problems: [String] = []
    public var wallSeconds = 0.0
    public var peakRSSBytes = 0

    public init() {}

    /// 0 when every document was indexed or skipped with a reason, 1 when some failed.
    public var exitCode: Int32 { failed > 0 ? 1 : 0 }
}
