import Foundation
import Hummingbird
import SluiceCore
import Synchronization

/// Builds the `/v1` routes, `/metrics`, `/healthz`, `/readyz` and the dashboard at `/`.
public enum APIRouter {
    public static func make(_ backend: APIBackend, clock: any SluiceClock = SystemClock()) -> Router<SluiceRequestContext> {
        let router = Router(context: SluiceRequestContext.self)
        router.middlewares.add(UnknownRouteMiddleware())
        let api = API(backend: backend, access: AccessControl(keys: backend.keys, policy: backend.access, clock: clock))
        router.get("/") { _, _ in Dashboard.response }
        router.get("/healthz") { _, _ in api.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            await backend.isReady()
                ? api.json(["status": "ready"])
                : APIError(.serviceUnavailable, "not_ready", "the store is not reachable or the server is shutting down").response
        }
        router.post("/v1/ingest/preview") { request, context in
            await api.respond(request, context) { try await api.preview(request, $0) }
        }
        router.post("/v1/ingest/publish") { request, context in
            await api.respond(request, context) { try await api.publish(request, $0) }
        }
        router.post("/v1/ingest/batch") { request, context in
            await api.respond(request, context) { principal in
                try await backend.intake.accepting { try await api.batch(request, principal) }
            }
        }
        router.get("/v1/tenants/:tenant/documents/:docId") { request, context in
            await api.respond(request, context) { try await api.document(context, $0) }
        }
        router.delete("/v1/tenants/:tenant/documents/:docId") { request, context in
            await api.respond(request, context) { principal in
                try await backend.intake.accepting { try await api.deleteDocument(context, principal) }
            }
        }
        router.delete("/v1/tenants/:tenant") { request, context in
            await api.respond(request, context) { try await api.purgeTenant(context, $0) }
        }
        router.get("/v1/tenants/:tenant/progress") { request, context in
            await api.respond(request, context) { try await api.progress(context, $0) }
        }
        router.get("/v1/stats") { request, context in
            await api.respond(request, context) { try await api.stats($0, now: clock.now()) }
        }
        router.get("/v1/dead-letters") { request, context in
            await api.respond(request, context) { try await api.deadLetters(request, $0) }
        }
        router.post("/v1/dead-letters/:id/retry") { request, context in
            await api.respond(request, context) { try await api.retryDeadLetter(context, $0) }
        }
        router.delete("/v1/dead-letters/:id") { request, context in
            await api.respond(request, context) { try await api.dropDeadLetter(context, $0) }
        }
        router.get("/metrics") { request, context in
            await api.respond(request, context) { try await api.metrics($0) }
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("/v1/search") { request, context in
            await api.respond(request, context) { try await api.search(request, $0) }
        }
        return router
    }
}

/// The handlers; every error leaves as JSON through `APIError`.
struct API: Sendable {
    let backend: APIBackend
    let access: AccessControl
    /// Bodies being received, and `?wait` waiters, per key.
    let uploads = PerKeyLimit()
    let waiters = PerKeyLimit()

    /// Admits the request (key, rate limit), runs `body` for its principal,
    /// and turns every error into a JSON answer.
    func respond(
        _ request: Request, _ context: SluiceRequestContext, _ body: (Principal) async throws -> Response
    ) async -> Response {
        do {
            return try await body(try await access.admit(request, context))
        } catch {
            let failure = APIError(error)
            if failure.status == .tooManyRequests { backend.metrics.apiRateLimited() }
            return failure.response
        }
    }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder.stable.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads and decodes a JSON body within the request size limit and the
    /// in-memory budget. Bytes count against the budget as they arrive (twice:
    /// the body and its decoded copy), so a client that declares a large body
    /// and sends nothing holds nothing (and its connection is closed at the
    /// body deadline). `precheck` sees the raw body before the decoder does
    /// (the batch limit).
    func decode<T: Decodable>(
        _ type: T.Type, from request: Request, for principal: Principal, precheck: ([UInt8]) throws -> Void = { _ in }
    ) async throws -> T {
        // A browser sends text/plain and form bodies to any address without asking (no CORS preflight);
        // JSON only, so no web page can post to Sluice behind its user's back.
        guard let contentType = request.headers[.contentType],
            contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json")
        }
        let limit = backend.limits.maxRequestBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.closing(.contentTooLarge, "too_large", "the request body is over the \(limit)-byte limit (SLUICE_MAX_REQUEST_BYTES); split it into smaller requests")
        }
        let received = try await uploads.holding(principal.limitKey, limit: backend.limits.maxUploadsPerKey, what: "uploads") {
            try await receive(request.body, limit: limit)
        }
        defer { backend.budget.release(received.held) }
        try precheck(received.bytes)
        return try JSONDecoder().decode(T.self, from: Data(received.bytes))
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
                    throw APIError.closing(.contentTooLarge, "too_large", "the request body is over the \(limit)-byte limit (SLUICE_MAX_REQUEST_BYTES); split it into smaller requests")
                }
                guard budget.tryAcquire(chunk.readableBytes * 2) else {
                    var error = APIError.closing(
                        .serviceUnavailable, "busy",
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
            throw APIError(.badRequest, "invalid_input", "priority \"\(name.prefix(40))\" is not one of low, normal, high", field: "priority")
        }
        return priority
    }

    func publication(_ document: IncomingDocument, priority: Priority) throws -> Publication {
        try Publication(document, priority: priority, maxContentBytes: backend.limits.maxContentBytes)
    }

    // MARK: ingest

    func preview(_ request: Request, _ principal: Principal) async throws -> Response {
        let document = try await decode(IncomingDocument.self, from: request, for: principal)
        let publication = try publication(document, priority: .normal)
        try principal.require(publication.key.tenant)
        return json(try await backend.preview(publication))
    }

    struct PublishResult: Encodable {
        var tenant: String
        var docId: String
        var revision: Int64
        var status: String
        var state: DocumentView?
    }

    func publish(_ request: Request, _ principal: Principal) async throws -> Response {
        // Accepting counts as intake pressure; waiting for indexing does not.
        let (publication, outcome) = try await backend.intake.accepting {
            let document = try await decode(IncomingDocument.self, from: request, for: principal)
            let accepted = try self.publication(document, priority: .normal)
            try principal.require(accepted.key.tenant)
            return (accepted, try await backend.publisher.publish([accepted])[0])
        }
        var result = PublishResult(
            tenant: publication.key.tenant.rawValue, docId: publication.key.docId.rawValue, revision: outcome.revision,
            status: outcome.name)
        if let wait = request.uri.queryParameters["wait"].flatMap({ Double(String($0)) }), wait > 0, wait.isFinite {
            result.state = try await waiters.holding(principal.limitKey, limit: backend.limits.maxWaitersPerKey, what: "requests waiting with ?wait") {
                try await waitForIndexing(publication.key, revision: outcome.revision, seconds: min(wait, 60))
            }
            if let state = result.state, state.pending == nil, state.revision >= outcome.revision { result.status = state.status }
        }
        return json(result, status: .accepted)
    }

    /// Waits until the document's indexed revision reaches `revision`, or time
    /// is up. Woken by the commits that complete documents (the queue's
    /// `completions` doorbell), not by polling.
    func waitForIndexing(_ key: DocumentKey, revision: Int64, seconds: Double) async throws -> DocumentView? {
        let clock = access.clock
        let deadline = clock.now() + .milliseconds(Int64(seconds * 1000))
        let doorbell = backend.queue.completions
        while true {
            let ticket = doorbell.ticket()
            let state = try await backend.documents.documentState(key)
            if let state, state.revision >= revision { return DocumentView(state) }
            if clock.now() >= deadline || Task.isCancelled {
                return DocumentView.of(state, pending: try await backend.queue.entry(key), now: clock.now())
            }
            await doorbell.wait(until: deadline, clock: clock, since: ticket)
        }
    }

    struct BatchRequest: Decodable {
        var priority: String?
        var coalesced: Bool?
        var documents: [IncomingDocumentOrInvalid]
    }

    /// One element of a batch, kept even when it does not decode, so one bad
    /// document does not reject the others.
    struct IncomingDocumentOrInvalid: Decodable {
        var result: Result<IncomingDocument, APIError>

        init(from decoder: any Decoder) throws {
            do {
                result = .success(try IncomingDocument(from: decoder))
            } catch let error as DecodingError {
                result = .failure(APIError(error))
            }
        }
    }

    struct BatchItem: Encodable {
        var index: Int
        var tenant: String?
        var docId: String?
        var revision: Int64?
        var status: String
        var error: APIError.Body.Detail?
    }

    func batch(_ request: Request, _ principal: Principal) async throws -> Response {
        let limit = backend.limits.maxBatchDocuments
        func tooMany(_ count: Int) -> APIError {
            APIError(
                .contentTooLarge, "too_large",
                "the batch has \(count > limit ? "more than \(limit)" : "\(count)") documents; at most \(limit) (SLUICE_MAX_BATCH_DOCUMENTS) per request",
                field: "documents")
        }
        // Counted before decoding: refusing an oversized batch costs a scan, not a decode.
        let batch = try await decode(BatchRequest.self, from: request, for: principal) { body in
            if let count = JSONArrayCount.elements(of: "documents", in: body, stoppingAfter: limit), count > limit { throw tooMany(count) }
        }
        let priority = try priority(batch.priority)
        guard batch.documents.count <= limit else { throw tooMany(batch.documents.count) }
        var items: [BatchItem] = []
        var valid: [(Int, Publication)] = []
        for (index, element) in batch.documents.enumerated() {
            do {
                var publication = try publication(try element.result.get(), priority: priority)
                publication.isSettled = batch.coalesced ?? false
                try principal.require(publication.key.tenant)
                valid.append((index, publication))
                items.append(BatchItem(index: index, tenant: publication.key.tenant.rawValue, docId: publication.key.docId.rawValue, status: "pending"))
            } catch {
                var detail = APIError(error).detail
                let prefix = "documents[\(index)]"
                detail.field = detail.field.map { $0.hasPrefix(prefix) ? $0 : "\(prefix).\($0)" } ?? prefix
                items.append(BatchItem(index: index, status: "rejected", error: detail))
            }
        }
        let outcomes = try await backend.publisher.publish(valid.map(\.1))
        for ((index, _), outcome) in zip(valid, outcomes) {
            items[index].revision = outcome.revision
            items[index].status = outcome.name
        }
        let rejected = items.filter { $0.status == "rejected" }.count
        return json(["accepted": valid.count, "rejected": rejected], results: items)
    }

    func json(_ counts: [String: Int], results: [BatchItem]) -> Response {
        struct Body: Encodable {
            var accepted: Int
            var rejected: Int
            var results: [BatchItem]
        }
        return json(Body(accepted: counts["accepted"] ?? 0, rejected: counts["rejected"] ?? 0, results: results), status: .accepted)
    }

    // MARK: documents

    /// A document as the index has it, and the change still pending for it.
    struct DocumentView: Encodable {
        var tenant: String
        var docId: String
        /// indexed, skipped or deleted; pending while no revision was processed yet.
        var status: String
        var revision: Int64
        var contentHash: String?
        var chunks: Int
        var title: String?
        var reason: String?
        /// What the extractor left out and says so; absent when nothing.
        var notes: [String]?
        var updatedAt: Timestamp?
        var pending: PendingView?

        struct PendingView: Encodable {
            var revision: Int64
            /// queued, processing, or failed (a dead letter, retried with `sluice dead-letters retry` or a new change).
            var state: String
            var attempts: Int
            var lastError: String?
            var readyAt: Timestamp
        }

        init(_ state: DocumentState) {
            tenant = state.key.tenant.rawValue
            docId = state.key.docId.rawValue
            status = state.status.rawValue
            revision = state.revision
            contentHash = state.contentHash
            chunks = state.chunkCount
            title = state.title
            reason = state.reason
            notes = state.notes.isEmpty ? nil : state.notes
            updatedAt = state.updatedAt
        }

        /// Before its first processing: only the pending change.
        init(pending entry: QueueEntry) {
            tenant = entry.key.tenant.rawValue
            docId = entry.key.docId.rawValue
            status = "pending"
            revision = entry.revision
            chunks = 0
        }

        /// nil when the store knows nothing of the document.
        static func of(_ state: DocumentState?, pending entry: QueueEntry?, now: Timestamp) -> DocumentView? {
            guard var view = state.map(DocumentView.init) ?? entry.map(DocumentView.init(pending:)) else { return nil }
            if let entry, entry.revision > view.revision || state == nil {
                let processing = entry.hold.map { $0.expiresAt > now } ?? false
                view.pending = PendingView(
                    revision: entry.revision, state: entry.state == .dead ? "failed" : processing ? "processing" : "queued",
                    attempts: entry.attempts, lastError: entry.lastError, readyAt: entry.readyAt)
            }
            return view
        }
    }

    /// The tenant and docId path parameters; a docId is one percent-encoded segment.
    func documentKey(_ context: SluiceRequestContext) throws -> DocumentKey {
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        let raw = context.parameters.get("docId") ?? ""
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "invalid_input", "the document id in the path is not valid percent-encoding", field: "docId")
        }
        return DocumentKey(tenant: tenant, docId: try DocumentID(decoded))
    }

    func document(_ context: SluiceRequestContext, _ principal: Principal) async throws -> Response {
        let key = try documentKey(context)
        try principal.require(key.tenant)
        async let state = backend.documents.documentState(key)
        async let entry = backend.queue.entry(key)
        guard let view = DocumentView.of(try await state, pending: try await entry, now: access.clock.now()) else {
            throw APIError(.notFound, "not_found", "tenant \(key.tenant) has no document \(key.docId)")
        }
        return json(view)
    }

    func deleteDocument(_ context: SluiceRequestContext, _ principal: Principal) async throws -> Response {
        let key = try documentKey(context)
        try principal.require(key.tenant)
        let meta = DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true)
        let publication = try publication(IncomingDocument(meta: meta, content: nil), priority: .normal)
        let outcome = try await backend.publisher.publish([publication])[0]
        return json(PublishResult(tenant: key.tenant.rawValue, docId: key.docId.rawValue, revision: outcome.revision, status: outcome.name), status: .accepted)
    }

    /// `DELETE /v1/tenants/{tenant}`: admin only, as `sluice tenants purge`.
    func purgeTenant(_ context: SluiceRequestContext, _ principal: Principal) async throws -> Response {
        guard principal.isAdmin else {
            throw APIError(.forbidden, "forbidden", "purging a tenant needs an admin key (`sluice keys create --admin`)")
        }
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        let removed = try await backend.purge(tenant)
        return json(["tenant": tenant.rawValue, "documentsRemoved": String(removed)])
    }

    // MARK: progress and stats

    struct TenantProgress: Encodable {
        var tenant: String
        var indexed: Int
        var pending: Int
        var skipped: Int
        var failed: Int
        var deleted: Int
        var chunks: Int
        var lastActivity: Timestamp?
        /// The current or last onboarding: total, processed, failed, percent, rate and ETA.
        var onboarding: Onboarding?
        /// What the last scan of the tenant's folder found wrong (names skipped, bad ignore lines, unreadable folders).
        var scanProblems: [String]

        struct Onboarding: Encodable {
            var startedAt: Timestamp
            var active: Bool
            var total: Int
            var processed: Int
            var failed: Int
            var pending: Int
            var percent: Double
            var filesPerMinute: Double
            var etaSeconds: Double?

            init(_ progress: OnboardingProgress) {
                startedAt = progress.startedAt
                active = progress.active
                total = progress.total
                processed = progress.processed
                failed = progress.failed
                pending = progress.pending
                percent = (progress.percent * 10).rounded() / 10
                filesPerMinute = progress.filesPerMinute.rounded()
                etaSeconds = progress.etaSeconds.map { $0.rounded() }
            }
        }

        init(_ summary: TenantSummary, onboarding: OnboardingProgress? = nil, scanProblems: [String] = []) {
            self.onboarding = onboarding.map(Onboarding.init)
            self.scanProblems = scanProblems
            tenant = summary.tenant
            indexed = summary.indexed
            pending = summary.pending
            skipped = summary.skipped
            failed = summary.failed
            deleted = summary.deleted
            chunks = summary.chunks
            lastActivity = summary.lastActivity
        }
    }

    func progress(_ context: SluiceRequestContext, _ principal: Principal) async throws -> Response {
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        try principal.require(tenant)
        let summary = try await backend.reports.tenantSummary(tenant)
        let onboarding = try await backend.reports.onboardings(tenant: tenant, window: .seconds(60)).first
        let problems = try await backend.scanProblems(tenant).map(\.message)
        return json(TenantProgress(summary, onboarding: onboarding, scanProblems: problems))
    }

    /// `GET /metrics`: Prometheus text format; an admin key once keys exist (they cover every tenant).
    func metrics(_ principal: Principal) async throws -> Response {
        guard principal.isAdmin else {
            throw APIError(.forbidden, "forbidden", "metrics cover every tenant and need an admin key (`sluice keys create --admin`)")
        }
        guard let metrics = backend.metricsExposition else {
            throw APIError(.notFound, "not_found", "this server does not collect metrics")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try await metrics())))
    }

    // MARK: search

    struct SearchRequest: Decodable {
        var tenant: String
        var query: String
        var k: Int?
        /// Only documents whose `meta.attributes` hold all of these values.
        var filter: Filter?

        struct Filter: Decodable {
            var attributes: [String: String]?
        }
    }

    func search(_ request: Request, _ principal: Principal) async throws -> Response {
        let body = try await decode(SearchRequest.self, from: request, for: principal)
        let tenant = try TenantID(body.tenant)
        try principal.require(tenant)
        let k = body.k ?? 5
        guard (1...1000).contains(k) else { throw APIError(.badRequest, "invalid_input", "k must be from 1 to 1000", field: "k") }
        guard !body.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.query.utf8.count <= 10_000 else {
            throw APIError(.badRequest, "invalid_input", "query must be 1 to 10,000 bytes of text", field: "query")
        }
        let attributes = body.filter?.attributes ?? [:]
        guard attributes.count <= 32, attributes.allSatisfy({ $0.key.utf8.count <= 256 && $0.value.utf8.count <= 4096 }) else {
            throw APIError(.badRequest, "invalid_input", "filter.attributes takes at most 32 keys of up to 256 bytes, values of up to 4,096", field: "filter.attributes")
        }
        return json(["results": try await backend.search(tenant, body.query, k, attributes)])
    }
}
