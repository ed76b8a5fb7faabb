import SluiceCore

/// `GET /v1/stats`: everything an operator (or the dashboard) needs at a glance.
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

    /// What `/v1/stats` reads from the store, shared by the callers of a moment (`API.statsReadings`).
    struct StoreReading: Sendable {
        var queue: QueueDepth.Summary
        var onboarding: TenantProgress.Onboarding?
        var tenants: [TenantProgress]
        var scanProblems: [String]
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
