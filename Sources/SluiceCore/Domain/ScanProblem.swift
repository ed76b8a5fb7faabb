/// Something a scan could not cover, kept for the tenant whose folder holds it
/// (an unreadable folder, a name that cannot be a document id, an ignore line
/// left out), so `sluice status`, `/metrics` and the run summary show it
/// instead of the scan stopping.
public struct ScanProblem: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The tenant, or nil for the scanned root itself (an entry that is no tenant).
    public var tenant: String?
    public var message: String

    public init(tenant: String?, message: String) {
        self.tenant = tenant
        self.message = message
    }

    public var description: String { tenant.map { "\($0): \(message)" } ?? message }

    /// Problems kept per tenant; past it, one more says how many were left out.
    public static let maxPerTenant = 1000
}
