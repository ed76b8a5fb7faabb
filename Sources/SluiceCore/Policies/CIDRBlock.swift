/// An IPv4 or IPv6 address block such as `172.16.0.0/12` or `::1/128`,
/// parsed as a real prefix (the seed's "starts with 172." would exempt
/// 172.32.0.1, which is public).
public struct CIDRBlock: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    public let prefixLength: Int
    public let description: String

    private init(network: [UInt8], prefixLength: Int, description: String) {
        self.network = network
        self.prefixLength = prefixLength
        self.description = description
    }

    /// Parses `ADDRESS/PREFIX` or a bare address (a /32 or /128).
    public init(_ text: String) throws {
        let trimmed = text.trimmingWhitespaceCharacters()
        let parts = trimmed.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = parts.first.flatMap(CIDRBlock.parseAddress) else {
            throw SluiceError(.configuration, "\"\(text)\" is not an IP address or CIDR block (for example 10.0.0.0/8 or ::1/128)")
        }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value) else {
                throw SluiceError(.configuration, "\"\(text)\" has a prefix length outside 0...\(bits)")
            }
            length = value
        }
        network = CIDRBlock.mask(address, length)
        prefixLength = length
        description = trimmed
    }

    /// Whether `address` (IPv4, IPv6, or IPv4-mapped IPv6) lies in the block.
    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDRBlock.parseAddress(address) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether an address already parsed (4 or 16 bytes) lies in the block.
    public func contains(_ address: IPAddress) -> Bool {
        contains(bytes: address.bytes)
    }

    /// Every request's client is checked against a few blocks, so this
    /// compares in place rather than building masked copies.
    private func contains(bytes: [UInt8]) -> Bool {
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is checked as its IPv4 address.
        let offset: Int
        if bytes.count == network.count {
            offset = 0
        } else if bytes.count == 16, network.count == 4, bytes[..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            offset = 12
        } else {
            return false
        }
        for index in network.indices {
            let keep = min(8, prefixLength - index * 8)
            guard keep > 0 else { break }
            if bytes[offset + index] & UInt8(truncatingIfNeeded: 0xFF << (8 - keep)) != network[index] { return false }
        }
        return true
    }

    static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = max(0, min(8, length - index * 8))
            return keep == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
    }

    /// Parses an IPv4 dotted quad or an IPv6 address (with `::` and an embedded IPv4 tail).
    static func parseAddress(_ text: String) -> [UInt8]? {
        if !text.utf8.contains(UInt8(ascii: ":")) { return parseIPv4(text.utf8) }
        var text = Substring(text)
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, field.utf8.contains(UInt8(ascii: ".")), let tail = parseIPv4(field.utf8) {
                    bytes += tail
                    continue
                }
                guard !field.isEmpty, field.count <= 4, let value = UInt16(field, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Four decimal numbers of at most three digits, each at most 255, joined by dots.
    static func parseIPv4(_ text: some Collection<UInt8>) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4)
        var value = 0
        var digits = 0
        for character in text {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(character - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, value <= 255 else { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, bytes.count < 3 else { return nil }
                bytes.append(UInt8(value))
                (value, digits) = (0, 0)
            default:
                return nil
            }
        }
        guard digits > 0, bytes.count == 3 else { return nil }
        bytes.append(UInt8(value))
        return bytes
    }

    /// 127.0.0.0/8 and ::1/128.
    public static let loopback: [CIDRBlock] = [
        CIDRBlock(network: [127, 0, 0, 0], prefixLength: 8, description: "127.0.0.0/8"),
        CIDRBlock(network: Array(repeating: 0, count: 15) + [1], prefixLength: 128, description: "::1/128"),
    ]

    /// Parses a comma-separated list.
    public static func list(_ text: String) throws -> [CIDRBlock] {
        try text.split(separator: ",").map { try CIDRBlock(String($0)) }
    }
}

extension String {
    func trimmingWhitespaceCharacters() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
