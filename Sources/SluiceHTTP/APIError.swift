import Foundation
import Hummingbird
import SluiceCore

/// An error as the API answers it: `{"error": {"code", "message", "field"}}`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// An error after which the connection is closed: the rest of a body that
    /// was refused or late is not waited for.
    static func closing(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> APIError {
        var error = APIError(status, code, message)
        error.headers[.connection] = "close"
        return error
    }

    /// The one place Sluice errors become HTTP statuses.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as SluiceError:
            let status: HTTPResponse.Status
            switch error.code {
            case .invalidInput, .configuration: status = .badRequest
            case .tooLarge: status = .contentTooLarge
            case .notFound: status = .notFound
            case .locked: status = .serviceUnavailable
            case .storage where error.isRetryable: status = .serviceUnavailable
            default: status = .internalServerError
            }
            self.init(status, error.code.name, error.message, field: error.field)
        case let error as DecodingError:
            self.init(.badRequest, "invalid_input", APIError.describe(error), field: APIError.field(of: error))
        default:
            self.init(.internalServerError, "internal", "unexpected error; the request was not applied")
        }
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let data = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message, field: field)))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    var detail: Body.Detail { .init(code: code, message: message, field: field) }

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
