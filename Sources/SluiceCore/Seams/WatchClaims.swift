/// Which process watches a folder, where many processes share one store: one
/// at a time, by a claim that expires unless renewed, so a standby process
/// takes over when the active one dies. A store only one process uses (SQLite,
/// whose data directory is locked) has no claims: its process always watches.
public protocol WatchClaims: Sendable {
    /// Claims the watch of `root` for this store's process for `duration`,
    /// or renews its claim: whether it holds it now, else who does.
    func claimWatch(of root: String, for duration: Duration) async throws -> WatchClaim

    /// Gives the claim up (graceful shutdown), so a standby takes over at once.
    func releaseWatch(of root: String) async throws
}

public enum WatchClaim: Sendable, Equatable {
    case held
    /// Another process holds it: who (its host and data directory).
    case heldBy(String)
}
