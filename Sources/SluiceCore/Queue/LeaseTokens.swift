import Foundation
import Synchronization

/// The tokens a store puts on the rows it leases: each one new, none made
/// with a system call. Foundation's `UUID()` reads `/dev/urandom` on Linux
/// (open, read, close) every time, and the SQLite store makes a token for
/// every row it leases, on its single writer. One random part per instance
/// keeps the tokens of different processes apart; a counter keeps this
/// instance's apart.
public final class LeaseTokens: Sendable {
    private let prefix: String
    private let issued = Atomic<UInt64>(0)

    /// Every token begins with `prefix` (the PostgreSQL store's owner), then the random part.
    public init(prefix: String = "") {
        self.prefix = prefix + UUID().uuidString + "-"
    }

    public func next() -> String {
        prefix + String(issued.add(1, ordering: .relaxed).newValue)
    }
}
