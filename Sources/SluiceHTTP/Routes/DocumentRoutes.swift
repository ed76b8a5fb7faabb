import Foundation
import Hummingbird
import SluiceCore

/// `GET` and `DELETE /v1/tenants/{tenant}/documents/{docId}`: a document's
/// state and pending change, and its tombstone.
extension API {
    var documentRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.get(":tenant/documents/:docId") { request, context in try await document(context) }
        routes.delete(":tenant/documents/:docId") { request, context in
            try await backend.intake.accepting { try await deleteDocument(context) }
        }
        return routes
    }

    func document(_ context: SluiceRequestContext) async throws -> Response {
        let key = try documentKey(context)
        try context.caller.require(key.tenant)
        async let state = backend.documents.documentState(key)
        async let entry = backend.queue.entry(key)
        guard let view = DocumentView.of(try await state, pending: try await entry, now: access.clock.now()) else {
            throw APIError(.notFound, "tenant \(key.tenant) has no document \(key.docId)")
        }
        return json(view)
    }

    func deleteDocument(_ context: SluiceRequestContext) async throws -> Response {
        let key = try documentKey(context)
        try context.caller.require(key.tenant)
        let meta = DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue, deleted: true)
        let publication = try publication(IncomingDocument(meta: meta, content: nil), priority: .normal)
        let outcome = try await backend.publisher.publish([publication])[0]
        let result = PublishResult(tenant: key.tenant.rawValue, docId: key.docId.rawValue, revision: outcome.revision, status: outcome.name)
        return json(bytes: try result.json, status: .accepted)
    }
}
