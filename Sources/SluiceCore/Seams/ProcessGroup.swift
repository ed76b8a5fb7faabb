/// The processes that run workers on one shared store (PostgreSQL), and the
/// settings each runs with. A process re-indexes what other embedder,
/// chunker or sink settings produced, so two processes with different
/// settings on one store would undo each other's work and mix two models'
/// vectors in one sink: a process whose settings differ from those of a live
/// member is refused (stop the others first, or give it a schema of its own
/// for a separate group). A store only one process uses (SQLite, whose data
/// directory is locked) has no group.
public protocol ProcessGroup: Sendable {
    /// Joins the group with `fingerprint`, unless a member seen within
    /// `liveWithin` runs with another: then those members, and this process
    /// did not join.
    func join(fingerprint: String, liveWithin: Duration) async throws -> [GroupMember]

    /// Says this process is alive (about every third of `liveWithin`).
    func heartbeat(fingerprint: String) async throws

    /// Leaves the group (this process stops).
    func leave() async throws
}

/// A process of a group: who (host and data directory), its settings, when last seen.
public struct GroupMember: Sendable, Equatable {
    public var owner: String
    public var fingerprint: String
    public var seen: Timestamp

    public init(owner: String, fingerprint: String, seen: Timestamp) {
        self.owner = owner
        self.fingerprint = fingerprint
        self.seen = seen
    }
}
