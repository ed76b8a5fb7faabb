/// A tenant: one customer's folder or API namespace.
///
/// Names are 1 to 64 characters of ASCII letters, digits, `.`, `_` and `-`,
/// and do not start with `.` so that a tenant name is always a safe folder
/// and URL path segment.
public struct TenantID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Validates `rawValue`; throws `SluiceError.invalidInput` saying what is wrong.
    public init(_ rawValue: String) throws {
        guard let problem = TenantID.problem(with: rawValue) else {
            self.rawValue = rawValue
            return
        }
        throw SluiceError(.invalidInput, "tenant name \"\(rawValue)\" \(problem)", field: "meta.tenant")
    }

    /// Wraps a name read back from a store that validated it on the way in.
    public init(storedRawValue: String) {
        self.rawValue = storedRawValue
    }

    /// Returns why `name` is not a valid tenant name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty; use 1 to 64 letters, digits, '.', '_' or '-'" }
        if name.utf8.count > 64 { return "is longer than 64 characters" }
        if name.hasPrefix(".") { return "starts with '.'; tenant names may not be hidden" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        return allowed ? nil : "has characters other than letters, digits, '.', '_' and '-'"
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.rawValue < rhs.rawValue }
}
