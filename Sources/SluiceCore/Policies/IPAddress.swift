/// An IPv4 or IPv6 address, parsed once so it can be checked against several
/// CIDR blocks.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    public let description: String

    /// nil when `text` is not an IPv4 or IPv6 address.
    public init?(_ text: String) {
        guard let bytes = CIDRBlock.parseAddress(text) else { return nil }
        self.bytes = bytes
        self.description = text
    }

    public func isIn(_ blocks: [CIDRBlock]) -> Bool {
        blocks.contains { $0.contains(self) }
    }
}
