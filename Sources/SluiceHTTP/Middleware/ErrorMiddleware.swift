import Hummingbird
import SluiceCore

/// Turns every error into the API's JSON error (`APIError`), outermost, so
/// each route, middleware and unknown path answers in the same shape; counts
/// the requests refused for a per-key limit.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext
    let metrics: SluiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // No route matched (Hummingbird's own answer is an empty 404).
            let path = request.uri.path
            let shown = path.count > 200 ? path.prefix(200) + "…" : Substring(path)
            return APIError(.notFound, "there is no \(request.method) \(shown); /openapi.json lists the routes").response
        } catch {
            let failure = APIError(error)
            if failure.code == .rateLimited { metrics.apiRateLimited() }
            return failure.response
        }
    }
}
