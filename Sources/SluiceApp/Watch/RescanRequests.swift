import SluiceCore
import Synchronization

/// What the next rescan of a watch session must cover: everything (events
/// were lost: an overflow, a batch that could not be applied) or only some
/// tenants (their `.sluiceignore` changed). A tenant that rewrites its ignore
/// file in a loop costs scans of its own folder, never of everyone's.
final class RescanRequests: Sendable {
    struct Scope: Sendable, Equatable {
        var everything = false
        var tenants: Set<TenantID> = []

        var isEmpty: Bool { !everything && tenants.isEmpty }

        mutating func formUnion(_ other: Scope) {
            everything = everything || other.everything
            tenants.formUnion(other.tenants)
        }
    }

    private let scope = Mutex(Scope())
    /// Rung by every request; the rescan service waits on it.
    let doorbell = Doorbell()

    func everything() {
        scope.withLock { $0.everything = true }
        doorbell.ring()
    }

    func tenant(_ tenant: TenantID) {
        scope.withLock { _ = $0.tenants.insert(tenant) }
        doorbell.ring()
    }

    /// What was asked since the last call, and no longer.
    func take() -> Scope {
        scope.withLock { scope in
            defer { scope = Scope() }
            return scope
        }
    }
}
