import Foundation
import SluiceCore
import Synchronization

/// Counts what a run did, per tenant, for the live display and the summary.
/// Shared by the workers; guarded by a mutex never held across `await`.
public final class RunProgress: Sendable {
    public struct TenantCounts: Sendable, Equatable, Codable {
        /// Documents queued for this tenant when processing started, plus any queued since.
        public var total = 0
        public var indexed = 0
        public var unchanged = 0
        public var deleted = 0
        public var skipped = 0
        public var failed = 0
        /// When this tenant's first document was done in this run.
        public var firstDoneAt: Date?

        public var done: Int { indexed + unchanged + deleted + skipped + failed }

        public init() {}

        /// Documents a second since the tenant's first was done, not counting
        /// that first one, over at least a second (a batch's documents are done
        /// together, so a shorter span says little); nil until a second one is
        /// done. Workers take tenants in queue order, so a rate over the whole
        /// run would make a tenant worked late look slow.
        public func perSecond(at now: Date) -> Double? {
            guard let firstDoneAt, done > 1 else { return nil }
            return Double(done - 1) / max(now.timeIntervalSince(firstDoneAt), 1)
        }
    }

    public enum Outcome: Sendable {
        case indexed
        case unchanged
        case deleted
        case skipped(reason: String)
        case failed(reason: String)

        /// The outcome's name, as metrics label it.
        public var name: String {
            switch self {
            case .indexed: "indexed"
            case .unchanged: "unchanged"
            case .deleted: "deleted"
            case .skipped: "skipped"
            case .failed: "failed"
            }
        }
    }

    public struct Snapshot: Sendable {
        public var tenants: [String: TenantCounts]
        public var startedAt: Date
        public var now: Date
        public var chunksEmbedded: Int
        public var chunksReused: Int
    }

    private struct State {
        var tenants: [String: TenantCounts] = [:]
        var skipReasons: [String: Int] = [:]
        var failures: [String] = []
        var chunksEmbedded = 0
        var chunksReused = 0
    }

    private let state = Mutex(State())
    public let startedAt = Date()

    public init() {}

    public func setTotal(_ total: Int, for tenant: TenantID) {
        state.withLock { $0.tenants[tenant.rawValue, default: TenantCounts()].total = total }
    }

    public func record(_ outcome: Outcome, for key: DocumentKey) {
        state.withLock { state in
            var counts = state.tenants[key.tenant.rawValue, default: TenantCounts()]
            switch outcome {
            case .indexed: counts.indexed += 1
            case .unchanged: counts.unchanged += 1
            case .deleted: counts.deleted += 1
            case .skipped(let reason):
                counts.skipped += 1
                state.skipReasons[reason, default: 0] += 1
            case .failed(let reason):
                counts.failed += 1
                state.failures.append("\(key): \(reason)")
            }
            counts.total = max(counts.total, counts.done)
            if counts.firstDoneAt == nil { counts.firstDoneAt = Date() }
            state.tenants[key.tenant.rawValue] = counts
        }
    }

    public func recordChunks(embedded: Int, reused: Int) {
        state.withLock {
            $0.chunksEmbedded += embedded
            $0.chunksReused += reused
        }
    }

    public func snapshot() -> Snapshot {
        state.withLock {
            Snapshot(tenants: $0.tenants, startedAt: startedAt, now: Date(), chunksEmbedded: $0.chunksEmbedded, chunksReused: $0.chunksReused)
        }
    }

    public var skipReasons: [String: Int] { state.withLock { $0.skipReasons } }
}
