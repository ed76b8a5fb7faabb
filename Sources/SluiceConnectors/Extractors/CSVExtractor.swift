import SluiceCore

/// `.csv`: one line per row, each field labelled with its header
/// (`name: Ada; role: engineer`). RFC 4180 quoting; a blank line every 20
/// rows gives the chunker paragraph boundaries.
///
/// Streamed: fields are written out as they are parsed, never held as a table,
/// and the text is bounded by `BoundedText` (labels are cut at 64 characters),
/// so neither a file of commas nor a wide header costs more than a few times
/// the file's size.
public struct CSVExtractor: Extractor {
    public let mimeType = "text/csv"
    /// Header labels kept; later columns are labelled by number.
    static let maxLabels = 10_000

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let text = try TextDecoding.decode(bytes)
        var output = BoundedText(inputBytes: bytes.count)
        var header: [String]?
        var headerCount = 0
        var labels: [String] = []
        var rowFields = 0
        var rowHasText = false
        var rows = 0
        var ragged = 0
        try CSVExtractor.parse(text) { event in
            switch event {
            case .field(let index, let value):
                if header == nil {
                    if index < CSVExtractor.maxLabels { labels.append(truncatedLabel(String(decoding: value, as: UTF8.self))) }
                    headerCount = index + 1
                    return
                }
                rowFields = index + 1
                let trimmed = CSVExtractor.trimmingSpaces(value)
                guard !trimmed.isEmpty else { return }
                if rowHasText { try output.append("; ") }
                let label = index < labels.count && !labels[index].isEmpty ? labels[index] : "column \(index + 1)"
                try output.append(label)
                try output.append(": ")
                try output.append(trimmed)
                rowHasText = true
            case .endOfRow:
                if header == nil {
                    header = labels
                    return
                }
                if rowFields != headerCount { ragged += 1 }
                if rowHasText { try output.append("\n") }
                rows += 1
                if rows % 20 == 0 { try output.append("\n") }
                rowFields = 0
                rowHasText = false
            }
        }
        var warnings: [String] = []
        if ragged > 0 { warnings.append("\(ragged) rows have a different number of fields than the header") }
        var extracted = output.bytes
        while extracted.last == 0x0A { extracted.removeLast() }
        return ExtractedText(text: String(decoding: extracted, as: UTF8.self), warnings: warnings)
    }

    static func trimmingSpaces(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = value.startIndex
        var end = value.endIndex
        while start < end && (value[start] == 0x20 || value[start] == 0x09) { start += 1 }
        while end > start && (value[end - 1] == 0x20 || value[end - 1] == 0x09) { end -= 1 }
        return value[start..<end]
    }

    enum Event {
        /// A field's bytes (unquoted), valid until the next event.
        case field(index: Int, value: ArraySlice<UInt8>)
        case endOfRow
    }

    /// Parses RFC 4180 CSV: quoted fields may hold commas, quotes ("") and
    /// newlines. Blank lines are not rows.
    static func parse(_ text: String, _ handle: (Event) throws -> Void) throws {
        let bytes = Array(text.utf8)
        var field: [UInt8] = []
        var index = 0
        var fieldIndex = 0
        var inQuotes = false
        var fieldStarted = false
        func endField() throws {
            try handle(.field(index: fieldIndex, value: field[...]))
            fieldIndex += 1
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRow() throws {
            if fieldIndex == 0 && field.isEmpty && !fieldStarted { return }  // a blank line
            try endField()
            try handle(.endOfRow)
            fieldIndex = 0
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    if !fieldStarted && field.isEmpty { inQuotes = true } else { field.append(byte) }
                    fieldStarted = true
                case UInt8(ascii: ","): try endField()
                case UInt8(ascii: "\n"): try endRow()
                case UInt8(ascii: "\r"): break
                default:
                    field.append(byte)
                    fieldStarted = true
                }
            }
            index += 1
        }
        if fieldStarted || !field.isEmpty || fieldIndex > 0 { try endRow() }
    }
}
