import Foundation
import Hummingbird
import SluiceCore

/// `POST /v1/search`: one tenant's top chunks for a query.
extension API {
    var searchRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.post { request, context in try await search(request, context) }
        return routes
    }

    func search(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let principal = try context.caller
        let body = try await decode(SearchRequest.self, from: request, for: principal)
        let tenant = try TenantID(body.tenant)
        try principal.require(tenant)
        let k = body.k ?? 5
        guard (1...1000).contains(k) else { throw APIError(.invalidInput, "k must be from 1 to 1000", field: "k") }
        guard !body.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.query.utf8.count <= 10_000 else {
            throw APIError(.invalidInput, "query must be 1 to 10,000 bytes of text", field: "query")
        }
        let attributes = body.filter?.attributes ?? [:]
        guard attributes.count <= 32, attributes.allSatisfy({ $0.key.utf8.count <= 256 && $0.value.utf8.count <= 4096 }) else {
            throw APIError(.invalidInput, "filter.attributes takes at most 32 keys of up to 256 bytes, values of up to 4,096", field: "filter.attributes")
        }
        return json(["results": try await backend.search(tenant, body.query, k, attributes)])
    }
}
