import Foundation

extension JSONEncoder {
    /// How Sluice writes JSON everywhere (API answers, stored meta, CLI
    /// output, exports): keys sorted, slashes unescaped, so the same value
    /// always gives the same bytes. Configured once; safe to share.
    public static let stable: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
