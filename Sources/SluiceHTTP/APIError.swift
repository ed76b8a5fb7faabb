import Foundation
import Hummingbird
import SluiceCore

/// An error as the API answers it: `{"error": {"code", "message", "field"}}`.
/// Handlers throw it (or any error, which `ErrorMiddleware` turns into one);
/// the status comes from the code.
struct APIError: Error, HTTPResponseError {
    /// Every code the API answers with; the OpenAPI document lists them.
    enum Code: String, CaseIterable, Sendable {
        case invalidInput = "invalid_input"
        case unauthorized
        case forbidden
        /// Keyless mode, a request to a name that is not loopback (DNS rebinding).
        case forbiddenHost = "forbidden_host"
        /// Keyless mode, a request from a web page of another origin.
        case forbiddenOrigin = "forbidden_origin"
        case notFound = "not_found"
        case tooLarge = "too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case rateLimited = "rate_limited"
        /// The in-memory budget is full: retry after Retry-After.
        case busy
        case notReady = "not_ready"
        case configuration
        case locked
        /// The store failed; 503 when retrying may help, else 500.
        case storage
        // The other Sluice errors, as they are named in logs.
        case io
        case extraction
        case embedding
        case delivery
        case leaseLost = "lease_lost"
        case cancelled
        case `internal`

        var status: HTTPResponse.Status {
            switch self {
            case .invalidInput, .configuration: .badRequest
            case .unauthorized: .unauthorized
            case .forbidden, .forbiddenHost, .forbiddenOrigin: .forbidden
            case .notFound: .notFound
            case .tooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .rateLimited: .tooManyRequests
            case .busy, .notReady, .locked: .serviceUnavailable
            case .storage, .io, .extraction, .embedding, .delivery, .leaseLost, .cancelled, .internal: .internalServerError
            }
        }

        /// A Sluice error's code, by its name.
        init(_ code: SluiceError.Code) {
            self = Code(rawValue: code.name) ?? .internal
        }
    }

    var code: Code
    var status: HTTPResponse.Status
    var message: String
    var field: String?
    var headers: HTTPFields = [:]

    init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.status = code.status
        self.message = message
        self.field = field
    }

    /// An error after which the connection is closed: the rest of a body that
    /// was refused or late is not waited for.
    static func closing(_ code: Code, _ message: String) -> APIError {
        var error = APIError(code, message)
        error.headers[.connection] = "close"
        return error
    }

    /// The one place other errors become HTTP statuses.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as SluiceError:
            self.init(Code(error.code), error.message, field: error.field)
            if code == .storage && error.isRetryable {
                status = .serviceUnavailable
                headers[.retryAfter] = String(max(1, Int((error.retryAfter ?? .seconds(2)).seconds.rounded(.up))))
            }
        case let error as DecodingError:
            self.init(.invalidInput, APIError.describe(error), field: APIError.field(of: error))
        default:
            self.init(.internal, "unexpected error; the request was not applied")
        }
    }

    var detail: ErrorDetail { ErrorDetail(code: code.rawValue, message: message, field: field) }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        struct Body: Encodable { var error: ErrorDetail }
        let data = (try? JSONEncoder().encode(Body(error: detail))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    static func path(_ codingPath: [any CodingKey]) -> String? {
        let parts = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        guard !parts.isEmpty else { return nil }
        return parts.reduce("") { path, part in
            part.hasPrefix("[") ? path + part : (path.isEmpty ? part : path + "." + part)
        }
    }

    static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context): path(context.codingPath + [key])
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path(context.codingPath)
        @unknown default: nil
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "the field \(key.stringValue) is missing"
        case .typeMismatch(let type, _): "wrong type: expected \(type == String.self ? "a string" : "\(type)")"
        case .valueNotFound(let type, _): "a value of type \(type) is missing (null)"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "the body is not valid JSON" : "invalid value: \(context.debugDescription)"
        @unknown default: "the body could not be read"
        }
    }
}
