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
    }

    func stats(_ principal: Principal, now: Timestamp) async throws -> Response {
        guard principal.isAdmin else {
            throw APIError(.forbidden, "forbidden", "stats cover every tenant and need an admin key; use /v1/tenants/{tenant}/progress")
        }
        let depth = try await backend.queue.depth()
        let progress = try await backend.index.onboardingReport(window: .seconds(60))
        let onboardings = Dictionary(progress.tenants.map { ($0.tenant, $0) }, uniquingKeysWith: { $1 })
        let tenants = try await backend.index.tenantSummaries().map { TenantProgress($0, onboarding: onboardings[$0.tenant]) }
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
            tenants: tenants))
    }
}
