import Hummingbird

/// Answers a request no route matched with the API's JSON error, like every
/// other error (Hummingbird's own answer is an empty 404).
struct UnknownRouteMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let shown = path.count > 200 ? path.prefix(200) + "…" : Substring(path)
            return APIError(.notFound, "not_found", "there is no \(request.method) \(shown); /openapi.json lists the routes").response
        }
    }
}
