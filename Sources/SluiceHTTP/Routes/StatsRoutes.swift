import Foundation
import Hummingbird
import SluiceCore

/// `GET /v1/stats`: everything an operator (or the dashboard) needs at a
/// glance, for every tenant, so an admin key; `GET /metrics` in Prometheus's
/// text format, an admin key too.
extension API {
    /// `/v1/stats` and `/metrics`, mounted at the root.
    var statsRoutes: RouteCollection<SluiceRequestContext> {
        let routes = RouteCollection(context: SluiceRequestContext.self)
        routes.get("v1/stats") { request, context in try await stats(context, now: access.clock.now()) }
        routes.get("metrics") { request, context in try await metrics(context) }
        return routes
    }

    func stats(_ context: SluiceRequestContext, now: Timestamp) async throws -> Response {
        guard try context.caller.isAdmin else {
            throw APIError(.forbidden, "stats cover every tenant and need an admin key; use /v1/tenants/{tenant}/progress")
        }
        let reading = try await statsReadings.value("") { [backend] in try await Self.readStats(backend) }
        let health = backend.health?() ?? .nothing
        func rounded(_ value: Double, _ places: Double = 1000) -> Double { (value * places).rounded() / places }
        return json(Stats(
            generatedAt: now,
            queue: reading.queue,
            onboarding: reading.onboarding,
            alerts: health.alerts.map {
                .init(name: $0.name, destination: $0.subject, since: $0.since, value: rounded($0.value), threshold: $0.threshold, message: $0.message)
            },
            errorRate: .init(
                windowSeconds: Int(health.window.seconds), attempts: health.attempts, failures: health.failures, rate: rounded(health.errorRate)),
            destinations: health.destinations.map {
                .init(
                    destination: $0.destination, circuit: $0.circuit.rawValue, openSince: $0.openSince,
                    concurrencyLimit: $0.concurrencyLimit, inFlight: $0.inFlight)
            },
            history: health.history.map {
                .init(at: $0.at, queued: $0.queued, deadLetters: $0.deadLetters, throughput: rounded($0.throughput, 10), errorRate: rounded($0.errorRate))
            },
            tenants: reading.tenants,
            scanProblems: reading.scanProblems))
    }

    /// What the stats read from the store; its cost grows with every tenant's documents.
    static func readStats(_ backend: APIBackend) async throws -> Stats.StoreReading {
        let depth = try await backend.queue.depth()
        let progress = try await backend.reports.onboardingReport(window: .seconds(60))
        let onboardings = Dictionary(progress.tenants.map { ($0.tenant, $0) }, uniquingKeysWith: { $1 })
        let problems = Dictionary(grouping: try await backend.scanProblems(nil), by: { (problem: ScanProblem) in problem.tenant })
        var summaries = try await backend.reports.tenantSummaries()
        // A tenant whose folder holds nothing indexable yet (only bad names, say) is listed for its problems.
        let known = Set(summaries.map(\.tenant))
        summaries += problems.keys.compactMap { $0 }.filter { !known.contains($0) }.sorted().map { TenantSummary(tenant: $0) }
        let tenants = summaries.map {
            TenantProgress($0, onboarding: onboardings[$0.tenant], scanProblems: problems[$0.tenant]?.map(\.message) ?? [])
        }
        return Stats.StoreReading(
            queue: depth.summary, onboarding: progress.overall.map(TenantProgress.Onboarding.init), tenants: tenants,
            scanProblems: problems[String?.none]?.map(\.message) ?? [])
    }

    /// `GET /metrics`: Prometheus text format; an admin key once keys exist (they cover every tenant).
    func metrics(_ context: SluiceRequestContext) async throws -> Response {
        guard try context.caller.isAdmin else {
            throw APIError(.forbidden, "metrics cover every tenant and need an admin key (`sluice keys create --admin`)")
        }
        guard let metrics = backend.metricsExposition else {
            throw APIError(.notFound, "this server does not collect metrics")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try await metrics())))
    }
}
