import SluiceCore

/// `.csv`: one line per row, each field labelled with its header
/// (`name: Ada; role: engineer`). RFC 4180 quoting; a blank line every 20
/// rows gives the chunker paragraph boundaries.
public struct CSVExtractor: Extractor {
    public let mimeType = "text/csv"

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let rows = CSVExtractor.parse(try TextDecoding.decode(bytes))
        guard let header = rows.first else { return ExtractedText(text: "") }
        var lines: [String] = []
        var ragged = 0
        for (number, row) in rows.dropFirst().enumerated() {
            if row.count != header.count { ragged += 1 }
            let fields = row.enumerated().compactMap { index, value -> String? in
                let value = value.trimmingCharacters(in: " \t")
                guard !value.isEmpty else { return nil }
                let label = index < header.count && !header[index].isEmpty ? header[index] : "column \(index + 1)"
                return "\(label): \(value)"
            }
            if !fields.isEmpty { lines.append(fields.joined(separator: "; ")) }
            if number % 20 == 19 { lines.append("") }
        }
        var warnings: [String] = []
        if ragged > 0 { warnings.append("\(ragged) rows have a different number of fields than the header") }
        return ExtractedText(text: lines.joined(separator: "\n"), warnings: warnings)
    }

    /// Parses RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldStarted = false
        let bytes = Array(text.utf8)
        var index = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRow() {
            endField()
            if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
            row = []
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
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\n"): endRow()
                case UInt8(ascii: "\r"): break
                default:
                    field.append(byte)
                    fieldStarted = true
                }
            }
            index += 1
        }
        if fieldStarted || !field.isEmpty || !row.isEmpty { endRow() }
        return rows
    }
}
