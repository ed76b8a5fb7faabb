import Foundation
import Hummingbird
import SluiceCore

/// `GET /v1/dead-letters` (the `?limit=N` newest, 1,000 unless given, with `more` when older ones are left), `POST /v1/dead-letters/{id}/retry`,
/// `DELETE /v1/dead-letters/{id}`; an id is `tenant:docId`, percent-encoded
/// as one path segment. A tenant key sees and touches its own tenant's only.
extension API {
    var deadLetterRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.get { request, context in try await deadLetters(request, context) }
        routes.post(":id/retry") { request, context in try await retryDeadLetter(context) }
        routes.delete(":id") { request, context in try await dropDeadLetter(context) }
        return routes
    }

    func deadLetters(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let principal = try context.caller
        var tenant = try request.uri.queryParameters["tenant"].map { try TenantID(String($0)) }
        if case .tenant(let own, _) = principal {
            if let tenant { try principal.require(tenant) }
            tenant = own
        }
        // Never all of them: a tenant whose documents all failed (a wrong model name, say) has as many
        // dead letters as documents, and 100,000 were 28 MB of JSON and 0.6 s per request.
        var limit = 1000
        if let raw = request.uri.queryParameters["limit"] {
            guard let given = Int(String(raw)), (1...10_000).contains(given) else {
                throw APIError(.invalidInput, "limit must be a whole number from 1 to 10,000", field: "limit")
            }
            limit = given
        }
        let letters = try await backend.queue.deadLetters(tenant: tenant, newest: limit + 1)
        return json(DeadLetterPage(deadLetters: Array(letters.prefix(limit)), more: letters.count > limit))
    }

    /// The newest dead letters, and whether older ones are left (`sluice dead-letters list` lists them all).
    struct DeadLetterPage: Encodable {
        var deadLetters: [DeadLetter]
        var more: Bool
    }

    func deadLetterKey(_ context: SluiceRequestContext) throws -> DocumentKey {
        let raw = context.parameters.get("id") ?? ""
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError(.invalidInput, "the dead letter id in the path is not valid percent-encoding", field: "id")
        }
        let key = try DocumentKey(deadLetterID: decoded)
        try context.caller.require(key.tenant)
        return key
    }

    func retryDeadLetter(_ context: SluiceRequestContext) async throws -> Response {
        let key = try deadLetterKey(context)
        guard try await backend.queue.retryDeadLetters(tenant: nil, key: key) > 0 else {
            throw APIError(.notFound, "\(key) is not a dead letter")
        }
        return json(["id": key.deadLetterID, "status": "queued"], status: .accepted)
    }

    func dropDeadLetter(_ context: SluiceRequestContext) async throws -> Response {
        let key = try deadLetterKey(context)
        guard try await backend.queue.dropDeadLetters(tenant: nil, key: key) > 0 else {
            throw APIError(.notFound, "\(key) is not a dead letter")
        }
        return json(["id": key.deadLetterID, "status": "dropped"])
    }
}
