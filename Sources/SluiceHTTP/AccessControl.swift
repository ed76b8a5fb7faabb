import Foundation
import Hummingbird
import SluiceCore
import Synchronization

/// Authentication (Bearer keys, keyless loopback mode) and per-key rate limits.
final class AccessControl: Sendable {
    let keys: any APIKeyStore
    let policy: AccessPolicy
    let clock: any SluiceClock
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(keys: any APIKeyStore, policy: AccessPolicy, clock: any SluiceClock = SystemClock()) {
        self.keys = keys
        self.policy = policy
        self.clock = clock
    }

    /// Who the request acts for; throws 401 or 429 as JSON-ready errors.
    func admit(_ request: Request, _ context: SluiceRequestContext) async throws -> Principal {
        let client = policy.clientAddress(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.init("X-Forwarded-For")!]
        ).flatMap(IPAddress.init)
        let principal = try await authenticate(request, client: client)
        try limit(principal, client: client)
        return principal
    }

    private func authenticate(_ request: Request, client: IPAddress?) async throws -> Principal {
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw APIError(.unauthorized, "unauthorized", "the Authorization header must be \"Bearer <key>\"")
            }
            let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let principal = try await keys.principal(forSecret: secret) else {
                throw APIError(.unauthorized, "unauthorized", "the API key is unknown or revoked; create one with `sluice keys create`")
            }
            return principal
        }
        if try await keys.hasActiveKeys() {
            throw APIError(.unauthorized, "unauthorized", "an API key is required: send Authorization: Bearer <key> (`sluice keys create --tenant NAME`)")
        }
        guard let client, client.isIn(CIDRBlock.loopback) else {
            throw APIError(.unauthorized, "unauthorized", "no API keys exist, so only loopback clients are served; create a key with `sluice keys create`")
        }
        return .local
    }

    private func limit(_ principal: Principal, client: IPAddress?) throws {
        if let client, client.isIn(policy.exempt) { return }
        let bucketKey = principal.keyID ?? "ip:\(client?.description ?? "unknown")"
        let now = clock.now()
        let rate = policy.ratePerMinute
        let wait = buckets.withLock { buckets -> Duration? in
            var bucket = buckets[bucketKey] ?? TokenBucket(ratePerMinute: rate, burstSeconds: 1, now: now)
            let wait = bucket.take(now: now)
            buckets[bucketKey] = bucket
            return wait
        }
        if let wait {
            var error = APIError(
                .tooManyRequests, "rate_limited",
                "over \(rate) requests per minute for this key (SLUICE_API_RATE_LIMIT_PER_MINUTE); retry after the Retry-After seconds")
            error.headers[.retryAfter] = String(max(1, Int((wait.seconds).rounded(.up))))
            throw error
        }
    }
}

extension Principal {
    /// Throws 403 when the principal may not act on `tenant`.
    func require(_ tenant: TenantID) throws {
        guard reaches(tenant) else {
            throw APIError(.forbidden, "forbidden", "this key belongs to another tenant and cannot reach \(tenant)")
        }
    }
}
