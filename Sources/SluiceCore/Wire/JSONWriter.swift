/// Writes compact JSON as `JSONEncoder.stable` does (the same string
/// escaping), for values written so often that the encoder's cost shows: the
/// stored meta of every API document, the answer to every publish. The
/// caller writes keys in sorted order, as the encoder would.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var first = true

    /// `capacity`: the bytes expected, reserved at once rather than grown into.
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    public mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    public mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Bytes that are JSON already (a literal, a number, an encoded value).
    public mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }

    public mutating func int(_ value: Int64) { raw(String(value).utf8) }

    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape(byte)
            case 0x08: escape(UInt8(ascii: "b"))
            case 0x0C: escape(UInt8(ascii: "f"))
            case 0x0A: escape(UInt8(ascii: "n"))
            case 0x0D: escape(UInt8(ascii: "r"))
            case 0x09: escape(UInt8(ascii: "t"))
            case 0..<0x20:
                escape(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(byte)
    }
}
