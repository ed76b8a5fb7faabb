/// Counts the elements of one array in a JSON body before it is decoded.
///
/// Foundation's decoder builds a tree of the whole body before any `init(from:)`
/// runs: a 9 MB batch of empty objects took 13 s and 500 MB before the batch
/// limit could be checked. This scan is linear, allocates nothing, and stops
/// as soon as the count passes the limit. It does not validate: a body it
/// miscounts because it is not JSON is rejected by the decoder afterwards.
enum JSONArrayCount {
    /// The number of elements of the array under `key` in the top-level
    /// object, counted up to `limit + 1`; nil when there is no such array.
    static func elements<Bytes: Collection<UInt8>>(of key: String, in body: Bytes, stoppingAfter limit: Int) -> Int? {
        let target = Array(key.utf8)
        var depth = 0
        var inString = false
        var escaped = false
        var stringStart: Bytes.Index?
        var lastString: Bytes.SubSequence?
        var keyMatched = false
        var inTarget = false
        var expectingElement = false
        var count = 0
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            defer { index = body.index(after: index) }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 1, let start = stringStart { lastString = body[body.index(after: start)..<index] }
                }
                continue
            }
            if inTarget && depth == 2 && expectingElement && !isWhitespace(byte) && byte != UInt8(ascii: "]") {
                count += 1
                expectingElement = false
                if count > limit { return count }
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index
            case UInt8(ascii: ":"):
                if depth == 1 { keyMatched = lastString.map { $0.elementsEqual(target) } ?? false }
            case UInt8(ascii: ","):
                if depth == 1 { keyMatched = false }
                if inTarget && depth == 2 { expectingElement = true }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1 && keyMatched && byte == UInt8(ascii: "[") {
                    inTarget = true
                    expectingElement = true
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if inTarget && depth == 1 { return count }
            default:
                break
            }
        }
        return inTarget ? count : nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
