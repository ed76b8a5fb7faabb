import Hummingbird
import SluiceCore

/// Admits a request to the routes that act for someone: checks its key (or
/// the keyless loopback mode) and its rate limit, and puts who it acts for
/// into the context (`SluiceRequestContext.principal`).
struct AdmissionMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext
    let access: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        (context.principal, context.rateBucket) = try await access.admit(request, context)
        return try await next(request, context)
    }
}
