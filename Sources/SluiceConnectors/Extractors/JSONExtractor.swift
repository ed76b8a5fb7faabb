import SluiceCore

/// `.json`: every string value with its key path (`owner.name: Ada`), one per
/// line, in document order.
///
/// Streamed: the document is read once, never built as a tree (a 20 MiB file
/// of empty arrays cost half a gigabyte as one), nesting is limited, key paths
/// are cut at 256 characters, and the text is bounded by `BoundedText`.
public struct JSONExtractor: Extractor {
    public let mimeType = "application/json"
    static let maxDepth = 512
    static let maxPath = 256

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let text = try TextDecoding.decode(bytes)
        var reader = Reader(bytes: Array(text.utf8))
        var output = BoundedText(inputBytes: bytes.count)
        var title: String?
        var name: String?
        try reader.read { path, depth, key, value in
            if depth == 1 {
                if key == "title", title == nil { title = value }
                if key == "name", name == nil { name = value }
            }
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return }
            if !output.isEmpty { try output.append("\n") }
            if !path.isEmpty {
                try output.append(path)
                try output.append(": ")
            }
            try output.append(trimmed)
        }
        return ExtractedText(text: output.text, title: title ?? name)
    }

    /// A single pass over JSON text, calling back for every string value.
    struct Reader {
        let bytes: [UInt8]
        var index = 0

        struct Frame {
            var isObject: Bool
            /// The key whose value is being read (objects only).
            var key: String?
        }

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// Calls `visit(path, depth, key, value)` for each string value; throws `.extraction` for invalid JSON.
        mutating func read(_ visit: (String, Int, String?, String) throws -> Void) throws {
            var stack: [Frame] = []
            func path() -> String {
                var path = ""
                for frame in stack {
                    guard let key = frame.key else { continue }
                    if !path.isEmpty { path += "." }
                    path += key
                    if path.utf8.count > JSONExtractor.maxPath { return truncatedLabel(path, limit: JSONExtractor.maxPath) }
                }
                return path
            }
            // Reads one value, or, for a container, its opening: the loop below reads the rest.
            skipWhitespace()
            var expectingValue = true
            while true {
                if expectingValue {
                    guard index < bytes.count else { throw invalid("a value") }
                    switch bytes[index] {
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        guard stack.count < JSONExtractor.maxDepth else {
                            throw SluiceError(.extraction, "invalid JSON: nested more than \(JSONExtractor.maxDepth) levels deep; flatten the file to index it")
                        }
                        let isObject = bytes[index] == UInt8(ascii: "{")
                        index += 1
                        stack.append(Frame(isObject: isObject))
                        skipWhitespace()
                        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                        if index < bytes.count && bytes[index] == close {
                            index += 1
                            stack.removeLast()
                            expectingValue = false
                        } else if isObject {
                            try readKey(into: &stack)
                        }
                        continue
                    case UInt8(ascii: "\""):
                        let value = try readString()
                        try visit(path(), stack.count, stack.last?.key, value)
                    default:
                        try skipScalar()
                    }
                    expectingValue = false
                    continue
                }
                skipWhitespace()
                guard let frame = stack.last else {
                    guard index == bytes.count else { throw invalid("the end of the document") }
                    return
                }
                guard index < bytes.count else { throw invalid(frame.isObject ? "',' or '}'" : "',' or ']'") }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                    if frame.isObject { try readKey(into: &stack) }
                    expectingValue = true
                case UInt8(ascii: "}") where frame.isObject, UInt8(ascii: "]") where !frame.isObject:
                    index += 1
                    stack.removeLast()
                default:
                    throw invalid(frame.isObject ? "',' or '}'" : "',' or ']'")
                }
            }
        }

        /// Reads `"key" :` into the innermost object's frame.
        private mutating func readKey(into stack: inout [Frame]) throws {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw invalid("a key in quotes") }
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw invalid("':' after a key") }
            index += 1
            skipWhitespace()
            stack[stack.count - 1].key = truncatedLabel(key)
        }

        private mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        /// A number, true, false or null.
        private mutating func skipScalar() throws {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let isScalarByte = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "E")
                guard isScalarByte else { break }
                index += 1
            }
            let word = bytes[start..<index]
            guard !word.isEmpty else { throw invalid("a value") }
            if let first = word.first, first >= 0x61 && first <= 0x7A {
                guard word.elementsEqual("true".utf8) || word.elementsEqual("false".utf8) || word.elementsEqual("null".utf8) else {
                    index = start
                    throw invalid("a value")
                }
            }
        }

        /// A string at `index` (its opening quote), unescaped.
        private mutating func readString() throws -> String {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index + 1 < bytes.count else { throw invalid("an escape") }
                    let escaped = bytes[index + 1]
                    index += 2
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                            bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        {
                            index += 2
                            let low = try hex4()
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                        }
                        out.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
                    default: out.append(escaped)
                    }
                default:
                    out.append(byte)
                    index += 1
                }
            }
            throw invalid("the end of a string")
        }

        private mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
                throw invalid("four hex digits after \\u")
            }
            index += 4
            return value
        }

        private func invalid(_ expected: String) -> SluiceError {
            SluiceError(.extraction, "invalid JSON: expected \(expected) at byte \(index); fix the file to index it")
        }
    }
}
