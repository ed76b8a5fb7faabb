import Foundation

/// Why a call to another service (a sink, an embedder) failed, classified
/// once for every caller: timeouts, connection errors, 429 and 5xx are the
/// destination's trouble and retryable; any other 4xx means this request is
/// wrong and retrying it cannot help.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Timeout, refused or dropped connection, 5xx: the destination is unwell.
        case unavailable
        /// 429: the destination asks us to slow down.
        case throttled
        /// Other 4xx: the request itself is rejected.
        case rejected
        /// The circuit breaker is open: nothing was sent.
        case circuitOpen
    }

    public var kind: Kind
    /// The destination, for messages: "qdrant at http://host:6333" (never a secret).
    public var destination: String
    public var message: String
    /// From a Retry-After header (429 or 503), or until the breaker's next probe.
    public var retryAfter: Duration?
    /// The start of the destination's answer, kept for dead letters.
    public var response: String?
    /// The HTTP status, when the destination answered.
    public var status: Int?
    /// No connection could be made (refused, unreachable, not made in time):
    /// the destination is down, and nothing of the request was sent.
    public var connectionFailed: Bool

    public init(
        _ kind: Kind, destination: String, _ message: String, retryAfter: Duration? = nil, response: String? = nil,
        connectionFailed: Bool = false
    ) {
        self.kind = kind
        self.connectionFailed = connectionFailed
        self.destination = destination
        self.message = message
        self.retryAfter = retryAfter
        self.response = response.map { String($0.prefix(500)) }
    }

    /// Whether trying again later may succeed.
    public var isRetryable: Bool { kind != .rejected }

    /// Whether the failure is the destination's as a whole, whatever the
    /// document: it asked to slow down (429), could not be reached, or its
    /// breaker is open. Such a failure spends none of the document's attempts;
    /// the document waits in the queue (the breaker keeps the destination from
    /// being hammered). A timeout, a 5xx or a connection dropped mid-request
    /// may be the document's own doing (too large, a body the service chokes
    /// on): those count, so a poison document still ends as a dead letter.
    public var isDestinationWide: Bool {
        kind == .throttled || kind == .circuitOpen || (kind == .unavailable && connectionFailed)
    }

    /// Whether this says something about the destination's health (the
    /// breaker and the concurrency limit react only to these).
    public var isBackpressure: Bool { kind == .unavailable || kind == .throttled }

    /// Classifies an HTTP answer that was not a success.
    public static func status(
        _ status: Int, destination: String, retryAfterHeader: String? = nil, body: String? = nil, now: Date = Date()
    ) -> DeliveryError {
        let retryAfter = retryAfterHeader.flatMap { parseRetryAfter($0, now: now) }
        var error = switch status {
        case 429:
            DeliveryError(.throttled, destination: destination, "\(destination) answered 429 Too Many Requests", retryAfter: retryAfter, response: body)
        case 500...599:
            DeliveryError(.unavailable, destination: destination, "\(destination) answered HTTP \(status)", retryAfter: retryAfter, response: body)
        case 408:
            DeliveryError(.unavailable, destination: destination, "\(destination) answered 408 Request Timeout", response: body)
        default:
            DeliveryError(.rejected, destination: destination, "\(destination) rejected the request with HTTP \(status)", response: body)
        }
        error.status = status
        return error
    }

    /// `Retry-After` as seconds or as an HTTP date; nil when absent or unreadable.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite {
            return .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(Int64(max(0, min(date.timeIntervalSince(now), 86_400)) * 1000))
    }

    public var description: String { message }
}
