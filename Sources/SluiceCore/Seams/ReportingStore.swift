/// Counts and progress for `status`, `tenants list`, `/v1/stats` and the
/// dashboard. Every method may throw `SluiceError(.storage)`.
public protocol ReportingStore: Sendable {
    /// Every tenant's counts, by tenant name; only `tenant`'s (read by its
    /// key, not by summarizing the whole store) when given.
    func tenantSummaries(tenant: TenantID?) async throws -> [TenantSummary]
    /// Each tenant's current or last onboarding (one tenant's, with `tenant`),
    /// its rate measured over `window`.
    func onboardings(tenant: TenantID?, window: Duration) async throws -> [OnboardingProgress]
    /// Every tenant's onboarding and, in the same read, the wave of those in
    /// progress taken together (`OnboardingProgress.combined`, its rate
    /// measured over one window for all its tenants; nil when none is in progress).
    func onboardingReport(window: Duration) async throws -> (tenants: [OnboardingProgress], overall: OnboardingProgress?)
    /// When each tenant's first document was written (the fairness figure of `sluice bench`).
    func firstDocumentWritten() async throws -> [String: Timestamp]
}

extension ReportingStore {
    /// Every tenant's counts, by tenant name.
    public func tenantSummaries() async throws -> [TenantSummary] {
        try await tenantSummaries(tenant: nil)
    }

    /// One tenant's counts (all zero for a tenant Sluice has not seen).
    public func tenantSummary(_ tenant: TenantID) async throws -> TenantSummary {
        try await tenantSummaries(tenant: tenant).first ?? TenantSummary(tenant: tenant.rawValue)
    }

    /// The wave of onboardings in progress taken together; nil when none is.
    public func overallOnboarding(window: Duration) async throws -> OnboardingProgress? {
        try await onboardingReport(window: window).overall
    }
}
