/// The most chunks one tenant's documents may hold (SLUICE_TENANT_MAX_CHUNKS),
/// so one tenant cannot fill the disk, the index or the sink that every
/// tenant shares. A document that would take its tenant past it is skipped
/// with the reason, before it is embedded; one that does not grow (an edit
/// that shrinks it, a deletion) always goes through.
///
/// Workers that process one tenant's documents at once each check against
/// what is recorded, so the tenant can pass the limit by at most what they
/// have in hand (a batch a worker).
public struct TenantQuota: Sendable, Equatable {
    public var maxChunks: Int

    public init(maxChunks: Int) {
        self.maxChunks = maxChunks
    }

    /// How every reason this quota gives begins (files skipped for it are queued again at a start).
    public static let reasonPrefix = "over the tenant's quota"

    /// Why a document is skipped: one reason for them all, so `sluice status`
    /// counts them on one line.
    public var reason: String {
        "\(TenantQuota.reasonPrefix) of \(maxChunks) chunks (SLUICE_TENANT_MAX_CHUNKS): delete documents or raise the limit; files skipped for it are read again when Sluice starts"
    }

    /// Which of a tenant's documents, in order, fit: each has `before` chunks
    /// recorded and `after` once processed, and the tenant holds `held` now.
    public func admit(held: Int, _ documents: [(before: Int, after: Int)]) -> [Bool] {
        var held = held
        return documents.map { document in
            let fits = document.after <= document.before || held - document.before + document.after <= maxChunks
            if fits { held += document.after - document.before }
            return fits
        }
    }
}
