/// Queueing documents again, beside `JobQueue`: after a settings change,
/// when a newer Sluice reads a type an older one skipped, and to repair a sink.
/// Every method may throw `SluiceError(.storage)`.
public protocol QueueRepair: Sendable {
    /// Queues every indexed document whose settings fingerprint is none of
    /// `accepted` for re-indexing (files are re-read). Returns how many.
    func requeueDocuments(notMatching accepted: Set<String>, priority: Priority) async throws -> Int

    /// Queues the files skipped with a reason starting `reasonPrefix` whose
    /// extension is one of `extensions` (lowercased, without the dot; nil:
    /// any): the types a newer Sluice reads that an older one skipped, or
    /// the files skipped for the tenant quota. Nothing else is re-read.
    /// Returns how many.
    func requeueSkippedFiles(reasonPrefix: String, extensions: Set<String>?, priority: Priority) async throws -> Int

    /// Queues documents to be written to the sink again whatever their
    /// content (a repair, or a write whose lease was lost): an indexed or
    /// skipped document is processed again from its file or stored content;
    /// a deleted or unknown one gets a tombstone. `extent` is how many
    /// ordinals the sink may hold for the document, when it may hold more
    /// than the store recorded; the rewrite removes the surplus.
    /// Returns how many were queued.
    @discardableResult
    func requeueForRewrite(_ keys: [DocumentKey], extent: [DocumentKey: Int], priority: Priority) async throws -> Int
}

/// The changes the queue gave up on, for an operator to see, retry or drop.
/// Every method may throw `SluiceError(.storage)`.
public protocol DeadLetterAdministration: Sendable {
    /// Dead letters (of one tenant, or all): every one by tenant and
    /// document, or with `newest`, that many of the most recent, newest first.
    func deadLetters(tenant: TenantID?, newest: Int?) async throws -> [DeadLetter]

    /// Revives dead letters (one document's, all of a tenant's, or all) with a
    /// fresh attempt count; returns how many.
    @discardableResult
    func retryDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int

    /// Gives up on dead letters (one document's, a tenant's, or all): the
    /// failed changes are removed and the documents keep what is indexed.
    @discardableResult
    func dropDeadLetters(tenant: TenantID?, key: DocumentKey?) async throws -> Int
}

extension DeadLetterAdministration {
    /// Every dead letter (of one tenant, or all), by tenant and document.
    public func deadLetters(tenant: TenantID?) async throws -> [DeadLetter] {
        try await deadLetters(tenant: tenant, newest: nil)
    }

    @discardableResult
    public func retryDeadLetters(tenant: TenantID?) async throws -> Int {
        try await retryDeadLetters(tenant: tenant, key: nil)
    }
}
