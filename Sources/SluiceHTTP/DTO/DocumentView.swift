import SluiceCore

/// A document as the index has it, and the change still pending for it.
struct DocumentView: Encodable {
    var tenant: String
    var docId: String
    /// indexed, skipped or deleted; pending while no revision was processed yet.
    var status: String
    var revision: Int64
    var contentHash: String?
    var chunks: Int
    var title: String?
    var reason: String?
    /// What the extractor left out and says so; absent when nothing.
    var notes: [String]?
    var updatedAt: Timestamp?
    var pending: PendingView?

    struct PendingView: Encodable {
        var revision: Int64
        /// queued, processing, or failed (a dead letter, retried with `sluice dead-letters retry` or a new change).
        var state: String
        var attempts: Int
        var lastError: String?
        var readyAt: Timestamp
    }

    init(_ state: DocumentState) {
        tenant = state.key.tenant.rawValue
        docId = state.key.docId.rawValue
        status = state.status.rawValue
        revision = state.revision
        contentHash = state.contentHash
        chunks = state.chunkCount
        title = state.title
        reason = state.reason
        notes = state.notes.isEmpty ? nil : state.notes
        updatedAt = state.updatedAt
    }

    /// Before its first processing: only the pending change.
    init(pending entry: QueueEntry) {
        tenant = entry.key.tenant.rawValue
        docId = entry.key.docId.rawValue
        status = "pending"
        revision = entry.revision
        chunks = 0
    }

    /// nil when the store knows nothing of the document.
    static func of(_ state: DocumentState?, pending entry: QueueEntry?, now: Timestamp) -> DocumentView? {
        guard var view = state.map(DocumentView.init) ?? entry.map(DocumentView.init(pending:)) else { return nil }
        if let entry, entry.revision > view.revision || state == nil {
            let processing = entry.hold.map { $0.expiresAt > now } ?? false
            view.pending = PendingView(
                revision: entry.revision, state: entry.state == .dead ? "failed" : processing ? "processing" : "queued",
                attempts: entry.attempts, lastError: entry.lastError, readyAt: entry.readyAt)
        }
        return view
    }
}
