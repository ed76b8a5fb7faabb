import Foundation
import Hummingbird
import SluiceCore

/// `DELETE /v1/tenants/{tenant}` (admin: purge) and `GET /v1/tenants/{tenant}/progress`.
extension API {
    var tenantRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.delete(":tenant") { request, context in try await purgeTenant(context) }
        routes.get(":tenant/progress") { request, context in try await progress(context) }
        return routes
    }

    /// As `sluice tenants purge`: admin only.
    func purgeTenant(_ context: SluiceRequestContext) async throws -> Response {
        guard try context.caller.isAdmin else {
            throw APIError(.forbidden, "purging a tenant needs an admin key (`sluice keys create --admin`)")
        }
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        let removed = try await backend.purge(tenant)
        return json(PurgeResult(tenant: tenant.rawValue, documentsRemoved: removed))
    }

    func progress(_ context: SluiceRequestContext) async throws -> Response {
        let tenant = try TenantID(context.parameters.get("tenant") ?? "")
        try context.caller.require(tenant)
        // Its cost grows with the tenant's documents: a tenant polling fast shares readings instead of taking the readers.
        let progress = try await progressReadings.value(tenant.rawValue) { [backend] in
            let summary = try await backend.reports.tenantSummary(tenant)
            let onboarding = try await backend.reports.onboardings(tenant: tenant, window: .seconds(60)).first
            let problems = try await backend.scanProblems(tenant).map(\.message)
            return TenantProgress(summary, onboarding: onboarding, scanProblems: problems)
        }
        return json(progress)
    }
}
