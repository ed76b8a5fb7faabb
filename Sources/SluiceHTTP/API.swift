import Foundation
import Hummingbird
import SluiceCore

/// What every route shares: the backend, access control, per-key limits,
/// JSON answers and bodies read within the size limit and memory budget.
/// Each resource's routes are in `Routes/`; every error leaves as JSON through
/// `ErrorMiddleware`.
struct API: Sendable {
    let backend: APIBackend
    let access: AccessControl
    /// Bodies being received, and `?wait` waiters, per key.
    let uploads = PerKeyLimit()
    let waiters = PerKeyLimit()
    /// Progress per tenant and the stats of all, each read at most a tenth of the time however often it is polled.
    let progressReadings: SharedReadings<TenantProgress>
    let statsReadings: SharedReadings<Stats.StoreReading>

    init(backend: APIBackend, access: AccessControl) {
        self.backend = backend
        self.access = access
        progressReadings = SharedReadings(clock: access.clock)
        statsReadings = SharedReadings(clock: access.clock)
    }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: (try? JSONEncoder.stable.encode(value)) ?? Data("{}".utf8), status: status)
    }

    /// A JSON body written already (`JSONWriter`).
    func json(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Reads and decodes a JSON body within the request size limit and the
    /// in-memory budget. Bytes count against the budget as they arrive (twice:
    /// the body and its decoded copy), so a client that declares a large body
    /// and sends nothing holds nothing (and its connection is closed at the
    /// body deadline). `precheck` sees the raw body before the decoder does
    /// (the batch limit). `read` may read the body first, directly: the
    /// decoder runs when it gives up (nil), and its errors are the ones a
    /// client sees.
    func decode<T: Decodable>(
        _ type: T.Type, from request: Request, for principal: Principal, precheck: ([UInt8]) throws -> Void = { _ in },
        read: ([UInt8]) -> T? = { _ in nil }
    ) async throws -> T {
        // A browser sends text/plain and form bodies to any address without asking (no CORS preflight);
        // JSON only, so no web page can post to Sluice behind its user's back.
        guard let contentType = request.headers.value(.contentType), API.namesJSON(contentType) else {
            throw APIError(.unsupportedMediaType, "send the body as JSON with the header Content-Type: application/json")
        }
        let limit = backend.limits.maxRequestBytes
        if let declared = request.headers.value(.contentLength).flatMap({ Int($0) }), declared > limit {
            throw APIError.closing(.tooLarge, "the request body is over the \(limit)-byte limit (SLUICE_MAX_REQUEST_BYTES); split it into smaller requests")
        }
        let received = try await uploads.holding(principal.limitKey, limit: backend.limits.maxUploadsPerKey, what: "uploads") {
            try await receive(request.body, limit: limit)
        }
        defer { backend.budget.release(received.held) }
        try precheck(received.bytes)
        if let value = read(received.bytes) { return value }
        return try JSONDecoder().decode(T.self, from: Data(received.bytes))
    }

    /// Whether a Content-Type is `application/json`, in any case, with or
    /// without parameters (`; charset=utf-8`).
    static func namesJSON(_ contentType: String) -> Bool {
        HeaderBytes.equalIgnoringCase(HeaderBytes.trimmed(contentType.utf8.prefix { $0 != UInt8(ascii: ";") }), "application/json")
    }

    /// The body's bytes and the budget they hold (the caller releases it). A
    /// body that does not arrive in time ends with its connection
    /// (`BodyDeadlineHandler`), which ends this loop.
    private func receive(_ body: RequestBody, limit: Int) async throws -> (bytes: [UInt8], held: Int) {
        let budget = backend.budget
        var bytes: [UInt8] = []
        var held = 0
        do {
            for try await chunk in body {
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw APIError.closing(.tooLarge, "the request body is over the \(limit)-byte limit (SLUICE_MAX_REQUEST_BYTES); split it into smaller requests")
                }
                guard budget.tryAcquire(chunk.readableBytes * 2) else {
                    var error = APIError.closing(
                        .busy,
                        "Sluice holds its in-memory budget of request and document bytes (SLUICE_MAX_INFLIGHT_BYTES); retry after the Retry-After seconds")
                    error.headers[.retryAfter] = "1"
                    throw error
                }
                held += chunk.readableBytes * 2
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            budget.release(held)
            throw error
        }
        return (bytes, held)
    }

    func priority(_ name: String?) throws -> Priority {
        guard let name else { return .normal }
        guard let priority = Priority(name: name) else {
            throw APIError(.invalidInput, "priority \"\(name.prefix(40))\" is not one of low, normal, high", field: "priority")
        }
        return priority
    }

    func publication(_ document: IncomingDocument, priority: Priority) throws -> Publication {
        try Publication(document, priority: priority, maxContentBytes: backend.limits.maxContentBytes)
    }

    /// The tenant and docId path parameters; a docId is one percent-encoded segment.
    func documentKey(_ context: SluiceRequestContext) throws -> DocumentKey {
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        let raw = context.parameters.get("docId") ?? ""
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError(.invalidInput, "the document id in the path is not valid percent-encoding", field: "docId")
        }
        return DocumentKey(tenant: tenant, docId: try DocumentID(decoded))
    }
}
