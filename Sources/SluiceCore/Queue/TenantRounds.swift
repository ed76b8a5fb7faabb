/// Fair leasing's walk over the tenants with queued work of one priority:
/// round the tenants in order from where the last lease stopped, a quantum
/// from each per round, until the batch is full or a whole round leased
/// nothing. Each backend asks its storage for the next tenant after `cursor`
/// and for that tenant's ready rows; the walk itself is this one.
public struct TenantRounds: Sendable {
    public enum Step: Sendable, Equatable {
        /// Lease up to a quantum from this tenant, then report how many with `leased`.
        case lease(String)
        /// Past the last tenant: ask again from the first (`cursor` is empty).
        case wrap
        /// A whole round leased nothing, or no tenant has queued work.
        case stop
    }

    /// The tenant the walk is at; the next lookup starts after it.
    public private(set) var cursor: String
    private var first: String?
    private var leasedThisRound = 0

    public init(from cursor: String) { self.cursor = cursor }

    /// How many rows to take from one tenant per round for a batch of `limit`.
    public static func quantum(for limit: Int) -> Int { max(1, limit / 4) }

    /// Where to go, given the next tenant after `cursor` with queued work (nil: none).
    public mutating func step(next tenant: String?) -> Step {
        guard let tenant else {
            if cursor.isEmpty { return .stop }
            cursor = ""
            return .wrap
        }
        if tenant == first {
            if leasedThisRound == 0 { return .stop }
            leasedThisRound = 0
        }
        if first == nil { first = tenant }
        cursor = tenant
        return .lease(tenant)
    }

    public mutating func leased(_ count: Int) { leasedThisRound += count }
}
