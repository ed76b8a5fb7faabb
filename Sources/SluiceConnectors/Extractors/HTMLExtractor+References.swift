import SluiceCore

/// Character references: every HTML5 named one (`HTMLEntities.swift`), numeric
/// ones, and the Windows-1252 numbers browsers read as such.
extension HTMLExtractor {
    /// Every HTML5 named character reference (`HTMLEntities.swift`), by its
    /// name: "amp;" and, for the legacy ones valid without it, "amp".
    static let namedEntities: [String: String] = {
        var table: [String: String] = [:]
        for line in entityTable.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let scalars = line[line.index(after: space)...].split(separator: ".").compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            table[String(line[..<space])] = String(String.UnicodeScalarView(scalars))
        }
        return table
    }()

    /// The longest name in the table, semicolon included.
    static let longestEntityName = namedEntities.keys.map(\.utf8.count).max() ?? 0

    /// What numeric references to C1 controls mean (the HTML5 rule: windows-1252).
    static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02C6,
        0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C,
        0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
        0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    /// Decodes character references as HTML5 does in text: every named one
    /// (legacy ones also without their semicolon, longest match first),
    /// decimal and hex ones (NUL, surrogates and values past U+10FFFF become
    /// U+FFFD, C1 controls their windows-1252 meaning). Anything else stays
    /// as written.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "&"), let (replacement, next) = reference(in: text, at: index) else {
                out.append(byte)
                index += 1
                continue
            }
            out.append(contentsOf: replacement.utf8)
            index = next
        }
        return out
    }

    /// The reference starting with the `&` at `start`: its text and where what follows it starts.
    static func reference(in text: ArraySlice<UInt8>, at start: Int) -> (String, Int)? {
        var index = start + 1
        guard index < text.endIndex else { return nil }
        if text[index] == UInt8(ascii: "#") {
            index += 1
            let hex = index < text.endIndex && (text[index] | 0x20) == UInt8(ascii: "x")
            if hex { index += 1 }
            let digitsStart = index
            var value: UInt32 = 0
            while index < text.endIndex, let digit = hexValue(text[index]), hex || digit < 10 {
                value = min(value &* (hex ? 16 : 10) &+ UInt32(digit), 0x110000)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < text.endIndex && text[index] == UInt8(ascii: ";") { index += 1 }
            let scalar: Unicode.Scalar
            if let mapped = windows1252[value] {
                scalar = Unicode.Scalar(mapped)!
            } else if value == 0 {
                scalar = "\u{FFFD}"
            } else {
                scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            }
            return (String(scalar), index)
        }
        var end = index
        while end < text.endIndex && end - index < longestEntityName && isAlphanumeric(text[end]) { end += 1 }
        guard end > index else { return nil }
        if end < text.endIndex && text[end] == UInt8(ascii: ";"),
            let value = namedEntities[String(decoding: text[index...end], as: UTF8.self)]
        {
            return (value, end + 1)
        }
        // Legacy names valid without a semicolon ("&copy 2024", "&ampx"): the longest that matches.
        var length = end - index
        while length >= 2 {
            if let value = namedEntities[String(decoding: text[index..<(index + length)], as: UTF8.self)] {
                return (value, index + length)
            }
            length -= 1
        }
        return nil
    }
}
