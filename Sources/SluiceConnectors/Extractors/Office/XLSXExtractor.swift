import Foundation
import SluiceCore

/// `.xlsx` (Office Open XML): each sheet in workbook order is a place
/// (`sheet NAME`) with its name as a heading, then its non-empty rows, one
/// line each with cells separated by ` | `. Shared strings are resolved;
/// numbers and dates are shown as their format shows them (dates as ISO
/// 8601, percentages, fixed decimals, thousands separators); a formula shows
/// its cached value. Empty rows cost nothing but the parse.
public struct XLSXExtractor: Extractor {
    public let mimeType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    public var isConverter: Bool { true }
    public let limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) { self.limits = limits }

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let package = try ZipPackage(bytes, format: "XLSX", limits: limits)
        let workbookPath = "xl/workbook.xml"
        let workbook = Workbook()
        try package.parse(workbookPath, required: true, into: workbook)
        let relationships = try OOXMLRelationships.read(workbookPath, in: package)
        let paths = try OOXMLRelationships.targets(of: workbook.ids, in: workbookPath, relationships: relationships, format: "XLSX")
        let strings = SharedStrings(maxTextBytes: limits.maxTextBytes)
        try package.parse(relationships.values.first { $0.type.hasSuffix("/sharedStrings") }?.target ?? "xl/sharedStrings.xml", into: strings)
        let styles = NumberFormats.Reader()
        try package.parse(relationships.values.first { $0.type.hasSuffix("/styles") }?.target ?? "xl/styles.xml", into: styles)
        var formats = styles.formats
        formats.date1904 = workbook.date1904
        var output = OfficeText(maxTextBytes: limits.maxTextBytes)
        for (index, path) in paths.enumerated() {
            let name = workbook.names[index]
            output.place(.sheet, name)
            try output.heading(1, name)
            let sheet = Sheet(strings: strings.strings, formats: formats, output: output)
            guard try package.parse(path, into: sheet) else {
                throw SluiceError(.extraction, "not a readable XLSX file (sheet \"\(truncatedLabel(name))\", \(path), is missing); the file is damaged")
            }
            output = sheet.output
        }
        let title = try OOXMLMetadata.title(package)
        return output.extracted(title: title, format: "XLSX")
    }

    /// The sheets' names and relationship ids, in order, and the date system.
    final class Workbook: XMLEvents.Handler {
        var names: [String] = []
        var ids: [String] = []
        var date1904 = false
        func start(_ name: Substring, _ attributes: [String: String]) {
            if name == "sheet", let id = OOXMLRelationships.relationshipID(attributes) {
                names.append(attributes["name"] ?? "Sheet \(names.count + 1)")
                ids.append(id)
            }
            if name == "workbookPr", let value = attributes["date1904"] { date1904 = value == "1" || value == "true" }
        }
        func end(_ name: Substring) {}
        func text(_ text: String) {}
    }

    /// `si` items: the text of their runs, phonetic guides (`rPh`) left out.
    final class SharedStrings: XMLEvents.Handler {
        var strings: [String] = []
        private var current = ""
        private var inText = false
        private var phonetic = 0
        private var bytes = 0
        let maxTextBytes: Int
        init(maxTextBytes: Int) { self.maxTextBytes = maxTextBytes }
        func start(_ name: Substring, _ attributes: [String: String]) {
            switch name {
            case "si": current = ""
            case "t": inText = true
            case "rPh": phonetic += 1
            default: break
            }
        }
        func end(_ name: Substring) throws {
            switch name {
            case "si":
                bytes += current.utf8.count
                if bytes > maxTextBytes { throw ExtractionLimits.textTooLarge(maxTextBytes) }
                strings.append(current)
            case "t": inText = false
            case "rPh": phonetic -= 1
            default: break
            }
        }
        func text(_ text: String) { if inText && phonetic == 0 { current += text } }
    }

    /// A sheet's rows: cells by column, each shown as its type and format say.
    final class Sheet: XMLEvents.Handler {
        let strings: [String]
        let formats: NumberFormats
        var output: OfficeText
        private var cells: [(column: Int, text: String)] = []
        private var type: String?
        private var style = 0
        private var column = 0
        private var value = ""
        private var inline = ""
        private var inValue = false
        private var inInline = false

        init(strings: [String], formats: NumberFormats, output: OfficeText) {
            self.strings = strings
            self.formats = formats
            self.output = output
        }

        func start(_ name: Substring, _ attributes: [String: String]) {
            switch name {
            case "row": cells = []
            case "c":
                type = attributes["t"]
                style = attributes["s"].flatMap(Int.init) ?? 0
                column = attributes["r"].map(Sheet.column) ?? (cells.last.map { $0.column + 1 } ?? 0)
                value = ""; inline = ""
            case "v": inValue = true
            case "t": inInline = true
            default: break
            }
        }

        func end(_ name: Substring) throws {
            switch name {
            case "v": inValue = false
            case "t": inInline = false
            case "c":
                let shown = display()
                if !shown.isEmpty { cells.append((column, shown)) }
            case "row":
                guard !cells.isEmpty else { return }
                // Empty cells between filled ones keep the columns apart, unless the row is absurdly wide.
                let sorted = cells.sorted { $0.column < $1.column }
                let first = sorted[0].column
                if let last = sorted.last?.column, last - first < 256 {
                    var line = [String](repeating: "", count: last - first + 1)
                    for cell in sorted { line[cell.column - first] = cell.text }
                    try output.row(line)
                } else {
                    try output.row(sorted.map(\.text))
                }
            default: break
            }
        }

        func text(_ text: String) {
            if inValue { value += text } else if inInline { inline += text }
        }

        private func display() -> String {
            switch type {
            case "s": return Int(value.trimmingCharacters(in: " ")).flatMap { $0 >= 0 && $0 < strings.count ? strings[$0] : nil } ?? ""
            case "inlineStr": return inline
            case "b": return value == "1" ? "TRUE" : value == "0" ? "FALSE" : value
            case "str", "e", "d": return value
            default:
                guard let number = Double(value.trimmingCharacters(in: " ")) else { return value }
                return formats.show(number, style: style)
            }
        }

        /// "BC12" → 54 (zero-based column of a cell reference).
        static func column(_ reference: String) -> Int {
            var column = 0
            for scalar in reference.unicodeScalars {
                guard (65...90).contains(scalar.value) || (97...122).contains(scalar.value) else { break }
                column = min(column * 26 + Int(scalar.value & 0x1F), 1 << 20)
            }
            return max(column - 1, 0)
        }
    }
}

/// Number formats of a workbook's cell styles, enough to show numbers as
/// people see them: dates, times, percentages, decimals, thousands.
struct NumberFormats {
    /// The format code of each cell style (`cellXfs` index).
    var styles: [String] = []
    var date1904 = false

    static let builtIn: [Int: String] = [
        1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
        14: "yyyy-mm-dd", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM",
        20: "h:mm", 21: "h:mm:ss", 22: "yyyy-mm-dd h:mm", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0",
    ]

    final class Reader: XMLEvents.Handler {
        var formats = NumberFormats()
        private var custom: [Int: String] = [:]
        private var inCellStyles = false
        func start(_ name: Substring, _ attributes: [String: String]) {
            switch name {
            case "numFmt":
                if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"] { custom[id] = code }
            case "cellXfs": inCellStyles = true
            case "xf":
                guard inCellStyles else { return }
                let id = attributes["numFmtId"].flatMap(Int.init) ?? 0
                formats.styles.append(custom[id] ?? NumberFormats.builtIn[id] ?? "General")
            default: break
            }
        }
        func end(_ name: Substring) { if name == "cellXfs" { inCellStyles = false } }
        func text(_ text: String) {}
    }

    func show(_ number: Double, style: Int) -> String {
        let code = style < styles.count ? styles[style] : "General"
        // What the format means, outside quoted text and [colors/conditions].
        var bare = ""
        var quoted = false
        var bracket = false
        for character in code.split(separator: ";").first ?? "" {
            if character == "\"" { quoted.toggle(); continue }
            if character == "[" { bracket = true; continue }
            if character == "]" { bracket = false; continue }
            if !quoted && !bracket { bare.append(character) }
        }
        let lower = bare.lowercased()
        if lower.contains("y") || lower.contains("d") || lower.contains("h") || (lower.contains("s") && !lower.contains("e")) {
            return date(number, withDate: lower.contains("y") || lower.contains("d"), withTime: lower.contains("h") || lower.contains("s"))
        }
        if lower.contains("%") {
            return NumberFormats.fixed(number * 100, decimals: NumberFormats.decimals(bare), grouped: false) + "%"
        }
        if lower == "general" || lower.isEmpty || lower.contains("e+") {
            return NumberFormats.general(number)
        }
        return NumberFormats.fixed(number, decimals: NumberFormats.decimals(bare), grouped: bare.contains(","))
    }

    /// Zeros after the decimal point of a format ("0.00" → 2).
    static func decimals(_ format: String) -> Int {
        guard let point = format.firstIndex(of: ".") else { return 0 }
        return format[format.index(after: point)...].prefix { $0 == "0" || $0 == "#" }.count
    }

    static func fixed(_ number: Double, decimals: Int, grouped: Bool) -> String {
        let text = String(format: "%.\(min(decimals, 15))f", number)
        guard grouped else { return text }
        let negative = text.hasPrefix("-")
        let digits = negative ? text.dropFirst() : text[...]
        let whole = digits.prefix { $0 != "." }
        let rest = digits.dropFirst(whole.count)
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (negative ? "-" : "") + grouped + rest
    }

    /// As Excel's General format: whole numbers without a point, others with
    /// up to 11 significant digits and no float noise (0.1 + 0.2 is 0.3).
    static func general(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        var text = String(format: "%.11g", number)
        if text.contains("."), !text.contains("e") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// A serial date as ISO 8601: days since 1899-12-30 (1904-01-01 in the 1904 system).
    func date(_ serial: Double, withDate: Bool, withTime: Bool) -> String {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return NumberFormats.general(serial) }
        // The 1900 system counts a 29 February 1900 that never was: serials before it are one day later.
        let epochDays = date1904 ? 24_107.0 : (serial < 60 ? 25_568.0 : 25_569.0)
        let seconds = ((serial - epochDays) * 86_400).rounded()
        let date = Date(timeIntervalSince1970: seconds)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let time = String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        switch (withDate || !withTime, withTime) {
        case (true, true): return day + " " + time
        case (true, false): return day
        default: return time
        }
    }
}
