/// How soon a change should be processed relative to others.
///
/// Live watch events are high (a person is waiting), API changes normal,
/// scans (onboarding, reconciliation) low. Coalesced changes keep the highest.
public enum Priority: Int, Comparable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case low = 0
    case normal = 1
    case high = 2

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .low: "low"
        case .normal: "normal"
        case .high: "high"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "low": self = .low
        case "normal": self = .normal
        case "high": self = .high
        default: return nil
        }
    }
}
