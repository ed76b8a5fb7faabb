import Foundation
import Hummingbird
import SluiceCore

/// `POST /v1/ingest/preview`, `/v1/ingest/publish` (`?wait=`) and `/v1/ingest/batch`.
extension API {
    var ingestRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.post("preview") { request, context in try await preview(request, context) }
        routes.post("publish") { request, context in try await publish(request, context) }
        routes.post("batch") { request, context in try await batch(request, context) }
        return routes
    }

    func preview(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let principal = try context.caller
        let document = try await decode(IncomingDocument.self, from: request, for: principal, read: IncomingDocument.init(plainJSON:))
        let publication = try publication(document, priority: .normal)
        try principal.require(publication.key.tenant)
        return json(try await backend.preview(publication))
    }

    func publish(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let principal = try context.caller
        // Accepting counts as intake pressure; waiting for indexing does not.
        let (publication, outcome) = try await backend.intake.accepting {
            let document = try await decode(IncomingDocument.self, from: request, for: principal, read: IncomingDocument.init(plainJSON:))
            let accepted = try self.publication(document, priority: .normal)
            try principal.require(accepted.key.tenant)
            // A large document counts once per 64 KiB of its content against the key's rate limit.
            try await access.charge([accepted], to: context.rateBucket)
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
        return json(bytes: try result.json, status: .accepted)
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

    /// One element of a batch, kept even when it does not decode, so one bad
    /// document does not reject the others.
    struct IncomingDocumentOrInvalid: Decodable, Sendable {
        var result: Result<IncomingDocument, APIError>

        init(_ document: IncomingDocument) {
            result = .success(document)
        }

        init(from decoder: any Decoder) throws {
            do {
                result = .success(try IncomingDocument(from: decoder))
            } catch let error as DecodingError {
                result = .failure(APIError(error))
            }
        }
    }

    func batch(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let principal = try context.caller
        let limit = backend.limits.maxBatchDocuments
        func tooMany(_ count: Int) -> APIError {
            APIError(
                .tooLarge,
                "the batch has \(count > limit ? "more than \(limit)" : "\(count)") documents; at most \(limit) (SLUICE_MAX_BATCH_DOCUMENTS) per request",
                field: "documents")
        }
        // Counted before decoding: refusing an oversized batch costs a scan, not a decode.
        let batch = try await decode(IngestBatch<IncomingDocumentOrInvalid>.self, from: request, for: principal) { body in
            if let count = JSONArrayCount.elements(of: "documents", in: body, stoppingAfter: limit), count > limit { throw tooMany(count) }
        } read: { body in
            IngestBatch(plainJSON: body) { reader in IncomingDocumentOrInvalid(try IncomingDocument(reading: &reader)) }
        }
        let priority = try priority(batch.priority)
        guard batch.documents.count <= limit else { throw tooMany(batch.documents.count) }
        var items: [IngestBatchResult.Item] = []
        var valid: [(Int, Publication)] = []
        for (index, element) in batch.documents.enumerated() {
            do {
                var publication = try publication(try element.result.get(), priority: priority)
                publication.isSettled = batch.coalesced ?? false
                try principal.require(publication.key.tenant)
                valid.append((index, publication))
                items.append(.init(index: index, tenant: publication.key.tenant.rawValue, docId: publication.key.docId.rawValue, status: "pending"))
            } catch {
                var detail = APIError(error).detail
                let prefix = "documents[\(index)]"
                detail.field = detail.field.map { $0.hasPrefix(prefix) ? $0 : "\(prefix).\($0)" } ?? prefix
                items.append(.init(index: index, status: "rejected", error: detail))
            }
        }
        // Each accepted document counts against the key's rate limit, as a publish of it would.
        try await access.charge(valid.map(\.1), to: context.rateBucket)
        // A batch is a bulk intake by itself: indexing gives way while its documents are accepted.
        let outcomes = try await backend.intake.accepting(documents: valid.count) {
            try await backend.publisher.publish(valid.map(\.1))
        }
        for ((index, _), outcome) in zip(valid, outcomes) {
            items[index].revision = outcome.revision
            items[index].status = outcome.name
        }
        return json(bytes: IngestBatchResult(accepted: valid.count, rejected: items.count - valid.count, results: items).json, status: .accepted)
    }
}
