import Foundation
import Hummingbird
import SluiceCore

/// Builds the router: the open routes (`/`, `/healthz`, `/readyz`,
/// `/openapi.json`), then each resource's route collection behind admission
/// (key, rate limit, caller in the context). `OpenAPITests` checks that the
/// OpenAPI document describes exactly these routes.
public enum APIRouter {
    public static func make(_ backend: APIBackend, clock: any SluiceClock = SystemClock()) -> Router<SluiceRequestContext> {
        let router = Router(context: SluiceRequestContext.self)
        router.middlewares.add(ErrorMiddleware(metrics: backend.metrics))
        let access = AccessControl(keys: backend.keys, policy: backend.access, rateLimits: backend.rateLimits, clock: clock)
        let api = API(backend: backend, access: access)

        router.get("/") { _, _ in Dashboard.response }
        router.get("/healthz") { _, _ in api.json(ServiceStatus(status: "ok")) }
        router.get("/readyz") { _, _ in
            guard await backend.isReady() else {
                throw APIError(.notReady, "the store is not reachable or the server is shutting down")
            }
            return api.json(ServiceStatus(status: "ready"))
        }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.response }

        let admitted = router.group().add(middleware: AdmissionMiddleware(access: access))
        admitted.addRoutes(api.ingestRoutes, atPath: "/v1/ingest")
        admitted.addRoutes(api.documentRoutes, atPath: "/v1/tenants")
        admitted.addRoutes(api.tenantRoutes, atPath: "/v1/tenants")
        admitted.addRoutes(api.searchRoutes, atPath: "/v1/search")
        admitted.addRoutes(api.deadLetterRoutes, atPath: "/v1/dead-letters")
        admitted.addRoutes(api.statsRoutes)
        return router
    }
}
