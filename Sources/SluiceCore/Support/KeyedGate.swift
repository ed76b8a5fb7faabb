import Synchronization

/// At most `width` holders per key at once; the others wait their turn, first
/// come first served, without holding anything meanwhile. The embedded
/// index's searches pass one per tenant, one at a time: a tenant's searches
/// scan its one in-memory index in turn anyway (under the index's lock, each
/// scan on two threads), so more at once would only hold the store's readers
/// while they wait for it, and a tenant searching on many connections would
/// leave the other tenants none.
public final class KeyedGate: Sendable {
    private struct Line {
        var holders = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    public let width: Int
    private let lines = Mutex<[String: Line]>([:])

    public init(width: Int) {
        self.width = max(1, width)
    }

    /// Runs `body` once one of the key's `width` places is free.
    public func passing<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await enter(key)
        defer { leave(key) }
        return try await body()
    }

    private func enter(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = lines.withLock { lines -> Bool in
                var line = lines[key, default: Line()]
                defer { lines[key] = line }
                guard line.holders < width else {
                    line.waiting.append(continuation)
                    return false
                }
                line.holders += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the place to the longest waiting, or frees it.
    private func leave(_ key: String) {
        let next = lines.withLock { lines -> CheckedContinuation<Void, Never>? in
            guard var line = lines[key] else { return nil }
            if !line.waiting.isEmpty {
                let next = line.waiting.removeFirst()
                lines[key] = line
                return next
            }
            line.holders -= 1
            lines[key] = line.holders > 0 ? line : nil
            return nil
        }
        next?.resume()
    }

    /// Keys with a holder or a waiter, for tests.
    public var busyKeys: Int { lines.withLock { $0.count } }
}
