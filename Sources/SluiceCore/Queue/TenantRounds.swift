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
    /// Where the current round began, and whether the walk has since wrapped past the last tenant.
    private var first: String?
    private var wrapped = false
    private var leasedThisRound = 0

    public init(from cursor: String) { self.cursor = cursor }

    /// How many rows to take from one tenant per round for a batch of
    /// `limit`, when the tenant has had `batches` leases since its onboarding
    /// began (its backlog last filled from empty): an eighth of the batch at
    /// first, then doubling with each lease, up to the whole batch.
    ///
    /// Small at first so that many tenants starting at once all get their
    /// first documents soon: a first round over 1,000 tenants takes 6,000 of
    /// their documents, where a quarter of a batch took 12,000, more than a
    /// tenth of a 100,000-file onboarding (issue 12's bar). SQLite counts the
    /// leases and grows the share, so that its single writer's commits write
    /// each index keyed by tenant in a few long runs rather than many short
    /// ones (a quarter of a batch throughout wrote 10.5 GB for those 100,000
    /// files, shares that grow 9.3-9.4 GB: BENCHMARKS.md), and leases from
    /// tenants that have had none first, so a newcomer never waits for the
    /// others' grown shares. PostgreSQL keeps a fixed share (`fixedQuantum`).
    public static func quantum(for limit: Int, batches: Int = 0) -> Int {
        min(limit, max(1, limit / 8) << min(max(batches, 0), 8))
    }

    /// PostgreSQL's share, the same for every tenant in every round: a
    /// quarter of the batch. Shares that grow cost it 20-30% of the queue's
    /// throughput (processes each taking a whole batch from one tenant
    /// contend for its rows), and a fixed eighth 5-10% against a quarter (more
    /// tenants for each lease's statements to find and lock): BENCHMARKS.md.
    public static func fixedQuantum(for limit: Int) -> Int { max(1, limit / 4) }

    /// Whether a lease from a tenant at `batches` is counted: always its
    /// first (that takes the tenant off the newcomers), then until its share
    /// is the whole batch. Counting further would change nothing and cost a
    /// write of the tenant's row in every lease.
    public static func counts(_ batches: Int, for limit: Int) -> Bool {
        batches <= 0 || quantum(for: limit, batches: batches) < limit
    }

    /// Where to go, given the next tenant after `cursor` with queued work (nil: none).
    ///
    /// A round ends when the walk, having wrapped, comes back to where it
    /// began or past it: the tenant it began at may have no queued work left
    /// by then (another process finished it), and waiting to meet that very
    /// tenant again would walk forever. When no tenant at or after it is
    /// left, the walk comes to the end a second time without meeting one:
    /// that ends the round too (it did not, and two lease transactions
    /// walked for minutes, each holding rows the other skipped).
    public mutating func step(next tenant: String?) -> Step {
        guard let tenant else {
            if cursor.isEmpty { return .stop }
            cursor = ""
            guard first != nil else { return .wrap }
            if wrapped {
                if leasedThisRound == 0 { return .stop }
                // A new round, from the first tenant.
                (first, wrapped, leasedThisRound) = (nil, false, 0)
                return .wrap
            }
            wrapped = true
            return .wrap
        }
        if let start = first, wrapped, tenant >= start {
            if leasedThisRound == 0 { return .stop }
            leasedThisRound = 0
            wrapped = false
            first = tenant
        }
        if first == nil { first = tenant }
        cursor = tenant
        return .lease(tenant)
    }

    public mutating func leased(_ count: Int) { leasedThisRound += count }
}
