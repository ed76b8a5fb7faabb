/// What the store records of each document: its state, its chunks, and how
/// far its points in a remote sink may reach.
///
/// Every method may throw `SluiceError(.storage)`.
public protocol DocumentStateStore: Sendable {
    func documentState(_ key: DocumentKey) async throws -> DocumentState?
    /// The states of several documents in one read; absent ones are left out.
    func documentStates(_ keys: [DocumentKey]) async throws -> [DocumentKey: DocumentState]
    func documents(tenant: TenantID, status: DocumentState.Status?) async throws -> [DocumentState]
    /// How many chunks each tenant's documents hold (the sum of their chunk
    /// counts), kept by every completion: one lookup a tenant, for the quota.
    func chunkCounts(_ tenants: Set<TenantID>) async throws -> [TenantID: Int]

    /// Calls `body` with batches of stored chunks, in (tenant, docId, ordinal) order.
    func exportChunks(tenant: TenantID?, batchSize: Int, _ body: ([ExportedChunk]) throws -> Void) async throws

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
