/// What a run or an operator does to the store as a whole.
/// Every method may throw `SluiceError(.storage)`.
public protocol StoreMaintenance: Sendable {
    /// Removes a tenant's documents, chunks, queue rows and file state. Returns the documents removed.
    @discardableResult
    func purge(tenant: TenantID) async throws -> Int

    /// A value the store keeps for Sluice itself (the settings fingerprint,
    /// the supported types) under `key`; nil when never set.
    func metaValue(_ key: String) async throws -> String?
    func setMetaValue(_ key: String, _ value: String) async throws

    /// Makes what a run wrote compact on disk (SQLite folds its write-ahead
    /// log into the file); a backend with nothing to do returns.
    func checkpoint() async throws
}
