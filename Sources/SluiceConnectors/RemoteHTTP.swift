import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// The HTTP client of every remote call Sluice makes (embedders, sinks).
public enum RemoteHTTP {
    /// One client for the whole process, never shut down (as `HTTPClient.shared`).
    /// A refused connection fails the request at once, and a connection not
    /// made in 5 s fails it then, rather than the client retrying until the
    /// request's deadline: a service that is down is seen as down quickly, and
    /// the delivery controls (retry with backoff, circuit breaker) decide
    /// what happens next.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A redirect would carry the request's credentials (an api-key header, a
        // bearer token, a webhook's signature) to wherever it points: never followed;
        // the 3xx is an error that names the destination.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends one request and returns the body of a 2xx answer. Everything
    /// else becomes a classified `DeliveryError` naming `destination` (never
    /// the request's headers, which may carry a key): no answer in time or no
    /// connection is `.unavailable`; a status is classified by
    /// `DeliveryError.status`, with the service's own words kept.
    /// Call it inside `DeliveryGate.send`.
    public static func execute(
        _ request: HTTPClientRequest, destination: String, client: HTTPClient = RemoteHTTP.client,
        timeout: Duration, maxResponseBytes: Int = 256 << 20
    ) async throws -> ByteBuffer {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
            body = try await response.body.collect(upTo: maxResponseBytes)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw DeliveryError(.unavailable, destination: destination, "could not reach \(destination): no connection in time", connectionFailed: true)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw DeliveryError(.unavailable, destination: destination, "\(destination) did not answer in time")
        } catch is CancellationError {
            throw CancellationError()
        } catch where isConnectFailure(error) {
            throw DeliveryError(.unavailable, destination: destination, "could not reach \(destination): \(error)", connectionFailed: true)
        } catch {
            // Anything else (a connection closed mid-answer, a malformed answer) may be a body the service
            // chokes on: it counts against the documents, so a poison document still ends as a dead letter.
            throw DeliveryError(.unavailable, destination: destination, "could not reach \(destination): \(error)")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            throw DeliveryError.status(
                Int(response.status.code), destination: destination,
                retryAfterHeader: response.headers.first(name: "Retry-After"), body: String(buffer: body))
        }
        return body
    }

    /// Whether `error` says no connection was made (refused, unreachable, a
    /// name that does not resolve), so nothing of the request was sent.
    static func isConnectFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        guard let error = error as? IOError else { return false }
        return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode)
    }

    /// Sends one request under `gate`'s delivery controls (see `execute`).
    public static func send(
        _ request: HTTPClientRequest, through gate: DeliveryGate, client: HTTPClient = RemoteHTTP.client, timeout: Duration,
        maxResponseBytes: Int = 256 << 20
    ) async throws -> ByteBuffer {
        let destination = gate.destination
        return try await gate.send {
            try await execute(request, destination: destination, client: client, timeout: timeout, maxResponseBytes: maxResponseBytes)
        }
    }

    /// `url` without trailing slashes, once it is known to be an http(s) URL
    /// with a host; otherwise a configuration error naming `option` and an example.
    public static func baseURL(_ url: String, option: String, example: String) throws -> String {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme), parsed.host != nil else {
            throw SluiceError(.configuration, "\(option) \"\(url)\" is not an http(s) URL; \(example)")
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// A JSON request with the given headers.
    public static func jsonRequest(_ url: String, method: HTTPMethod, body: [UInt8]?, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }
}
