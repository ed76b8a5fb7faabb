import Crypto
import Foundation

/// A SHA-256 digest of content bytes, shown as 64 lowercase hex digits.
public struct ContentHash: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = [UInt8](hexString: hex) else { return nil }
        self.bytes = bytes
    }

    /// Hashes bytes held in memory.
    public static func of<D: DataProtocol>(_ data: D) -> ContentHash {
        ContentHash(bytes: Array(SHA256.hash(data: data)))
    }

    public static func of(_ text: String) -> ContentHash { of(Array(text.utf8)) }

    public var hex: String { bytes.hexString }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let hex = try decoder.singleValueContainer().decode(String.self)
        guard let hash = ContentHash(hex: hex) else {
            throw SluiceError(.invalidInput, "\"\(hex)\" is not 64 hex digits of a SHA-256", field: "meta.sha256")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Streams bytes through SHA-256 in chunks, so memory does not grow with file size.
public struct StreamingHasher: Sendable {
    private var state = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }
    public mutating func update<D: DataProtocol>(_ data: D) { state.update(data: data) }

    public func finalize() -> ContentHash { ContentHash(bytes: Array(state.finalize())) }
}

extension Sequence where Element == UInt8 {
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    init?(hexString: String) {
        var result = [UInt8]()
        result.reserveCapacity(hexString.utf8.count / 2)
        var high: UInt8?
        for char in hexString.utf8 {
            let value: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = char - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                result.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        guard high == nil else { return nil }
        self = result
    }
}
