import SluiceCore
import Synchronization

/// How many requests of one key may be at one stage at once (bodies being
/// received, publishes waiting with `?wait`), so one key's clients cannot take
/// every slot of it from the others: past the limit, 429 with Retry-After.
final class PerKeyLimit: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func holding<T: Sendable>(
        _ key: String, limit: Int, what: String, _ body: () async throws -> T
    ) async throws -> T {
        let admitted = counts.withLock { counts -> Bool in
            let current = counts[key, default: 0]
            guard current < limit else { return false }
            counts[key] = current + 1
            return true
        }
        guard admitted else {
            var error = APIError(
                .rateLimited, "this key already has \(limit) \(what) in progress; retry after the Retry-After seconds")
            error.headers[.retryAfter] = "1"
            throw error
        }
        defer {
            counts.withLock { counts in
                let remaining = counts[key, default: 1] - 1
                counts[key] = remaining > 0 ? remaining : nil
            }
        }
        return try await body()
    }
}
