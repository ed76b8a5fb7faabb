import Foundation
import Hummingbird
import SluiceCore
import Synchronization

/// Authentication (Bearer keys, keyless loopback mode) and per-key rate limits.
final class AccessControl: Sendable {
    let keys: any APIKeyStore
    let policy: AccessPolicy
    let clock: any SluiceClock
    let rateLimits: any RateLimits

    /// - Parameter rateLimits: where the buckets are kept; nil: in this process's memory.
    init(keys: any APIKeyStore, policy: AccessPolicy, rateLimits: (any RateLimits)?, clock: any SluiceClock = SystemClock()) {
        self.keys = keys
        self.policy = policy
        self.clock = clock
        self.rateLimits = rateLimits ?? LocalRateLimits(clock: clock)
    }

    /// Who the request acts for, and the rate limit's bucket it took its
    /// token from (nil: its client is exempt); throws 401 or 429 as JSON-ready errors.
    func admit(_ request: Request, _ context: SluiceRequestContext) async throws -> (Principal, String?) {
        let client = policy.clientAddress(
            peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers.value(.xForwardedFor)
        ).flatMap(IPAddress.init)
        let principal = try await authenticate(request, client: client)
        let bucket = try await limit(principal, client: client)
        return (principal, bucket)
    }

    private func authenticate(_ request: Request, client: IPAddress?) async throws -> Principal {
        if let header = request.headers.value(.authorization) {
            guard let secret = AccessControl.bearerToken(header) else {
                throw APIError(.unauthorized, "the Authorization header must be \"Bearer <key>\"")
            }
            guard let principal = try await keys.principal(forSecret: secret) else {
                throw APIError(.unauthorized, "the API key is unknown or revoked; create one with `sluice keys create`")
            }
            return principal
        }
        if try await keys.hasActiveKeys() {
            throw APIError(.unauthorized, "an API key is required: send Authorization: Bearer <key> (`sluice keys create --tenant NAME`)")
        }
        guard let client, client.isIn(CIDRBlock.loopback) else {
            throw APIError(.unauthorized, "no API keys exist, so only loopback clients are served; create a key with `sluice keys create`")
        }
        try AccessControl.refuseBrowsers(request)
        return .local
    }

    /// The key of an `Authorization: Bearer <key>` header (the scheme in any
    /// case, spaces and tabs around the key dropped); nil for another scheme.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Substring(header).utf8
        guard HeaderBytes.equalIgnoringCase(bytes.prefix(7), "bearer ") else { return nil }
        return String(decoding: HeaderBytes.trimmed(bytes.dropFirst(7)), as: UTF8.self)
    }

    /// Keyless loopback mode trusts whoever reaches the loopback address, and
    /// a web page can: by a cross-site request (the browser sends its Origin),
    /// or by DNS rebinding (its own name resolving to 127.0.0.1, so the Host
    /// is that name). Both are refused; curl and local programs send neither.
    static func refuseBrowsers(_ request: Request) throws {
        let host = request.head.authority ?? ""
        guard isLoopbackName(host) else {
            throw APIError(
                .forbiddenHost,
                "without API keys only requests to localhost or a loopback address are served (Host was \"\(host)\"); create a key with `sluice keys create` to serve other names")
        }
        if let origin = request.headers.value(.origin) {
            let allowed = ["http://" + host, "https://" + host]
            guard allowed.contains(origin.lowercased()) else {
                throw APIError(
                    .forbiddenOrigin,
                    "without API keys, requests from web pages of other origins are refused (Origin was \"\(origin)\")")
            }
        }
    }

    /// `localhost`, a 127.0.0.0/8 address or `[::1]`, with or without a port
    /// (ASCII digits). Read on bytes: every keyless request's Host is checked.
    static func isLoopbackName(_ authority: String) -> Bool {
        func isPort(_ digits: Substring.UTF8View) -> Bool {
            digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        var host = Substring(authority).utf8
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.first == UInt8(ascii: ":") && isPort(rest.dropFirst())) else { return false }
            return IPAddress(String(Substring(host[host.index(after: host.startIndex)..<close])))?.isIn(CIDRBlock.loopback) == true
        }
        if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        if HeaderBytes.equalIgnoringCase(host, "localhost") || HeaderBytes.equalIgnoringCase(host, "localhost.") { return true }
        return IPAddress(String(Substring(host)))?.isIn(CIDRBlock.loopback) == true
    }

    private func limit(_ principal: Principal, client: IPAddress?) async throws -> String? {
        if let client, client.isIn(policy.exempt) { return nil }
        let bucket = principal.keyID ?? "ip:\(client?.description ?? "unknown")"
        if let wait = try await rateLimits.take(bucket, ratePerMinute: policy.ratePerMinute, burstSeconds: 1) {
            throw rateLimited(
                wait,
                "over \(policy.ratePerMinute) documents or requests a minute for this key (SLUICE_API_RATE_LIMIT_PER_MINUTE; a batch counts each of its documents, a document once per 64 KiB of its content)")
        }
        return bucket
    }

    /// A document counts against the rate limit once per this many bytes of
    /// its content begun: the limit bounds what a key puts through the single
    /// writer and the workers, and a document may be up to `SLUICE_MAX_FILE_BYTES`
    /// (a key publishing 4 MiB documents at the default rate held every other
    /// tenant's publishes for hundreds of milliseconds at a time).
    static let bytesPerCount = 64 << 10

    /// How many times `publication` counts against the rate limit: once, and
    /// once more per `bytesPerCount` of its content past the first.
    static func count(_ publication: Publication) -> Int {
        1 + max(0, (publication.content?.count ?? 0) - 1) / bytesPerCount
    }

    /// Charges what `publications` count past the one their request's token
    /// paid for to the bucket the request was admitted under (see
    /// `TokenBucket`): refused, with nothing published, while the bucket is
    /// in debt from an earlier request.
    func charge(_ publications: [Publication], to bucket: String?) async throws {
        let count = publications.reduce(0) { $0 + AccessControl.count($1) }
        guard let bucket, count > 1 else { return }
        if let wait = try await rateLimits.charge(bucket, count: count - 1, ratePerMinute: policy.ratePerMinute, burstSeconds: 1) {
            throw rateLimited(
                wait,
                "the request counts as \(count) against this key's \(policy.ratePerMinute) documents a minute (SLUICE_API_RATE_LIMIT_PER_MINUTE: a batch counts each of its documents, a document once per 64 KiB of its content), which an earlier request has spent; nothing was published")
        }
    }

    private func rateLimited(_ wait: Duration, _ message: String) -> APIError {
        var error = APIError(.rateLimited, "\(message); retry after the Retry-After seconds")
        error.headers[.retryAfter] = String(max(1, Int((wait.seconds).rounded(.up))))
        return error
    }
}

extension Principal {
    /// What per-key limits count under: the key, or the keyless local mode as one.
    var limitKey: String { keyID ?? "local" }

    /// Throws 403 when the principal may not act on `tenant`.
    func require(_ tenant: TenantID) throws {
        guard reaches(tenant) else {
            throw APIError(.forbidden, "this key belongs to another tenant and cannot reach \(tenant)")
        }
    }
}
