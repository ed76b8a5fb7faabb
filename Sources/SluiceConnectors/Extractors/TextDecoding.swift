import SluiceCore

/// Bytes to text for every text format: rejects binary content and
/// undecodable text with a reason a user can act on.
public enum TextDecoding {
    /// Decodes UTF-8 (with or without BOM) or BOM-marked UTF-16.
    /// Throws `.extraction` for binary content or invalid UTF-8.
    public static func decode(_ bytes: [UInt8]) throws -> String {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return try decodeUTF16(bytes)
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if body.prefix(8192).contains(0) {
            throw SluiceError(.extraction, "binary content (a NUL byte in the first 8 KiB); only text formats are indexed")
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(body) ?? 0
            throw SluiceError(
                .extraction,
                "not valid UTF-8 text (first bad byte at offset \(offset)); convert the file to UTF-8 to index it")
        }
        return text
    }

    private static func decodeUTF16(_ bytes: [UInt8]) throws -> String {
        let bigEndian = bytes[0] == 0xFE
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = 2
        while index + 1 < bytes.count {
            let pair = bigEndian
                ? UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
                : UInt16(bytes[index + 1]) << 8 | UInt16(bytes[index])
            units.append(pair)
            index += 2
        }
        guard let text = String(validating: units, as: UTF16.self) else {
            throw SluiceError(.extraction, "not valid UTF-16 text; convert the file to UTF-8 to index it")
        }
        return text
    }

    private static func firstInvalidUTF8Offset(_ bytes: ArraySlice<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var consumed = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                consumed += UTF8.width(scalar)
                offset = consumed
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }
}
