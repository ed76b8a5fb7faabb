import Foundation
import Hummingbird
import SluiceCore

/// `GET /v1/stats`: everything an operator (or the dashboard) needs at a
/// glance, for every tenant, so an admin key.
extension API {
    struct Stats: Encodable {
        struct AlertView: Encodable {
            var name: String
            var destination: String?
            var since: Timestamp
            var value: Double
            var threshold: Double
            var message: String
        }

        struct ErrorRate: Encodable {
            var windowSeconds: Int
            var attempts: Int
            var failures: Int
            var rate: Double
        }

        struct Destination: Encodable {
            var destination: String
            var circuit: String
            var openSince: Timestamp?
            var concurrencyLimit: Int
            var inFlight: Int
        }

        struct Sample: Encodable {
            var at: Timestamp
            var queued: Int
            var deadLetters: Int
            var throughput: Double
            var errorRate: Double
        }

        var generatedAt: Timestamp
        var queue: QueueDepth.Summary
        /// Every onboarding in progress taken together (the whole backlog at the whole rate); absent when none is.
        var onboarding: TenantProgress.Onboarding?
        var alerts: [AlertView]
        var errorRate: ErrorRate
        var destinations: [Destination]
        /// Samples every few seconds over the last minutes, oldest first.
        var history: [Sample]
        var tenants: [TenantProgress]
        /// What scans found wrong at the top of the watched folder (entries that are no tenant's).
        var scanProblems: [String]
    }

    func stats(_ principal: Principal, now: Timestamp) async throws -> Response {
        guard principal.isAdmin else {
            throw APIError(.forbidden, "forbidden", "stats cover every tenant and need an admin key; use /v1/tenants/{tenant}/progress")
        }
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
        let health = backend.health?() ?? .nothing
        func rounded(_ value: Double, _ places: Double = 1000) -> Double { (value * places).rounded() / places }
        return json(Stats(
            generatedAt: now,
            queue: depth.summary,
            onboarding: progress.overall.map(TenantProgress.Onboarding.init),
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
            tenants: tenants,
            scanProblems: problems[String?.none]?.map(\.message) ?? []))
    }
}
