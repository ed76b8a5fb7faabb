/// What publishing one document did.
public enum PublishOutcome: Sendable, Equatable {
    /// A new queue row.
    case queued(revision: Int64)
    /// Folded into the document's pending change.
    case coalesced(revision: Int64)
    /// The same content is already indexed and no other change is pending: no work.
    case unchanged(revision: Int64)

    public var revision: Int64 {
        switch self {
        case .queued(let revision), .coalesced(let revision), .unchanged(let revision): revision
        }
    }

    public var name: String {
        switch self {
        case .queued: "queued"
        case .coalesced: "coalesced"
        case .unchanged: "unchanged"
        }
    }
}

/// Durable intake for documents pushed over the API.
///
/// Contract: `publish` stores each document's content (content-addressed)
/// and enqueues its change in one transaction, so a document is durable when
/// it returns. Republishing the indexed content with no other change pending
/// is `unchanged` and does no work; republishing it while a different change
/// is pending makes it the newest change again. Content is kept while a
/// document or a queued change refers to it.
public protocol DocumentPublisher: Sendable {
    func publish(_ publications: [Publication]) async throws -> [PublishOutcome]
    /// Documents' stored content, in one read: the first of `wanted` always,
    /// then the following ones while their total stays within `byteLimit`.
    /// Content no longer kept maps to nil; what is left for a later call is absent.
    func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?]
}

extension Publication {
    /// Whether publishing this needs no work (`PublishOutcome.unchanged`):
    /// its content is what is indexed, and no other change of the document is
    /// pending or dead. Every backend decides it here, from what it read of
    /// the document (`indexed`) and its locked queue row (`pending`).
    public func leavesUnchanged(indexed: (status: DocumentState.Status?, hash: ContentHash?), pending: QueueEntry?) -> Bool {
        guard let hash = contentHash, indexed.status == .indexed, indexed.hash == hash else { return false }
        guard let pending else { return true }
        let otherPending = pending.state == .queued && (pending.kind == .delete || pending.contentHash != hash)
        return !otherPending && pending.state != .dead
    }
}
