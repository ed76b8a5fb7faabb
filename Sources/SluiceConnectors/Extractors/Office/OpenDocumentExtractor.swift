import Foundation
import SluiceCore

/// OpenDocument `.odt`, `.ods` and `.odp` (LibreOffice): `content.xml` in
/// order. Headings by outline level, paragraphs, list items and table rows
/// as in DOCX; in a spreadsheet each table is a sheet (a place headed by its
/// name), in a presentation each page is a slide (a place headed by its
/// title) followed by its speaker notes. Repeated rows and cells (how ODF
/// stores a million empty rows) cost nothing. The title comes from `meta.xml`.
public struct OpenDocumentExtractor: Extractor {
    public enum Kind: String, Sendable {
        case text = "ODT", spreadsheet = "ODS", presentation = "ODP"
    }

    public let kind: Kind
    public var isConverter: Bool { true }
    /// The widest sheet OpenDocument and Excel allow.
    static let maxColumns = 16_384
    public let limits: ExtractionLimits
    public var mimeType: String {
        switch kind {
        case .text: "application/vnd.oasis.opendocument.text"
        case .spreadsheet: "application/vnd.oasis.opendocument.spreadsheet"
        case .presentation: "application/vnd.oasis.opendocument.presentation"
        }
    }

    public init(_ kind: Kind, limits: ExtractionLimits = ExtractionLimits()) {
        self.kind = kind
        self.limits = limits
    }

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let package = try ZipPackage(bytes, format: kind.rawValue, limits: limits)
        let content = Content(kind: kind, maxTextBytes: limits.maxTextBytes)
        try package.parse("content.xml", required: true, into: content)
        let title = try package.title(in: "meta.xml") ?? content.firstSlideTitle
        return content.output.extracted(title: title, format: kind.rawValue)
    }

    final class Content: XMLEvents.Handler {
        let kind: Kind
        var output: OfficeText
        var firstSlideTitle: String?
        /// Paragraph text being read, innermost last (a frame's paragraphs nest inside a page).
        private var paragraph = ""
        private var inParagraph = 0
        private var headingLevel: Int?
        private var listDepth = 0
        /// Rows of the tables being read, innermost last, with the current row's cells.
        private var tables: [(name: String, row: [String])] = []
        private var rowRepeat = 1
        private var cellRepeat = 1
        private var cell = ""
        private var inCell = false
        /// Comments and other text that is not the document's.
        private var skipping = 0
        // Presentations: the page, its title frame, its notes.
        private var slide = 0
        private var frameIsTitle = false
        private var slideTitle: String?
        private var slideBlocks: [String] = []
        private var inNotes = false
        private var notes: [String] = []

        init(kind: Kind, maxTextBytes: Int) {
            self.kind = kind
            output = OfficeText(maxTextBytes: maxTextBytes)
        }

        func start(_ name: Substring, _ attributes: [String: String]) throws {
            switch name {
            case "annotation", "tracked-changes": skipping += 1
            case "h", "p":
                if inParagraph == 0 { paragraph = "" }
                inParagraph += 1
                if name == "h" { headingLevel = attributes["outline-level"].flatMap(Int.init) ?? 1 }
            case "s": if inParagraph > 0 { paragraph += String(repeating: " ", count: min(attributes["c"].flatMap(Int.init) ?? 1, 64)) }
            case "tab": if inParagraph > 0 { paragraph += " " }
            case "line-break": if inParagraph > 0 { paragraph += "\n" }
            case "list": listDepth += 1
            case "table":
                tables.append((attributes["name"] ?? "Sheet \(tables.count + 1)", []))
                if kind == .spreadsheet && tables.count == 1 {
                    output.place(.sheet, tables[0].name)
                    try output.heading(1, tables[0].name)
                }
            case "table-row":
                rowRepeat = attributes["number-rows-repeated"].flatMap(Int.init) ?? 1
                if !tables.isEmpty { tables[tables.count - 1].row = [] }
            case "table-cell", "covered-table-cell":
                cell = ""
                inCell = true
                cellRepeat = attributes["number-columns-repeated"].flatMap(Int.init) ?? 1
            case "page":
                slide += 1
                slideTitle = nil
                slideBlocks = []
                notes = []
            case "frame": frameIsTitle = attributes["class"] == "title"
            case "notes": inNotes = true
            case "image": output.images += 1
            default: break
            }
        }

        func end(_ name: Substring) throws {
            switch name {
            case "annotation", "tracked-changes": skipping -= 1
            case "h", "p":
                inParagraph -= 1
                guard inParagraph == 0 else { return }
                try endParagraph(isHeading: name == "h")
            case "list": listDepth -= 1
            case "table-cell", "covered-table-cell":
                inCell = false
                guard !tables.isEmpty else { return }
                // A cell repeated across the row (often thousands of empty ones up to the sheet's edge): empty
                // ones keep the columns apart up to a point (trailing ones are dropped with the row's end).
                let copies = min(cellRepeat, cell.isEmpty ? 256 : 32)
                // No sheet is wider than 16,384 columns: cells past that (a hostile row) are dropped.
                let room = OpenDocumentExtractor.maxColumns - tables[tables.count - 1].row.count
                tables[tables.count - 1].row += Array(repeating: cell, count: max(0, min(copies, room)))
            case "table-row":
                guard !tables.isEmpty else { return }
                var row = tables[tables.count - 1].row
                while row.last?.isEmpty == true { row.removeLast() }
                guard !row.isEmpty else { return }
                if tables.count > 1 {
                    cell += (cell.isEmpty ? "" : " ") + row.filter { !$0.isEmpty }.joined(separator: " ")
                } else {
                    // A repeated row with text is written once per repeat, up to a few.
                    for _ in 0..<min(rowRepeat, 32) { try emitRow(row) }
                }
            case "table": _ = tables.popLast()
            case "frame": frameIsTitle = false
            case "notes": inNotes = false
            case "page": try endSlide()
            default: break
            }
        }

        func text(_ text: String) throws {
            if inParagraph > 0 && skipping == 0 { paragraph += text }
        }

        private func endParagraph(isHeading: Bool) throws {
            let level = headingLevel
            headingLevel = nil
            guard skipping == 0 else { return }
            if inCell {
                cell += (cell.isEmpty ? "" : " ") + OfficeText.oneLine(paragraph)
                return
            }
            if kind == .presentation && slide > 0 {
                let line = OfficeText.trimmed(paragraph)
                guard !line.isEmpty else { return }
                if inNotes {
                    notes.append(OfficeText.oneLine(line))
                } else if frameIsTitle && slideTitle == nil {
                    slideTitle = OfficeText.oneLine(line)
                } else {
                    slideBlocks.append(line)
                }
                return
            }
            if isHeading, let level {
                try output.heading(level, paragraph)
            } else if listDepth > 0 {
                try output.listItem(paragraph, level: listDepth - 1)
            } else {
                try output.paragraph(paragraph)
            }
        }

        private func emitRow(_ row: [String]) throws {
            if kind == .presentation && slide > 0 {
                slideBlocks.append(row.map(OfficeText.oneLine).joined(separator: " | "))
            } else {
                try output.row(row)
            }
        }

        private func endSlide() throws {
            output.place(.slide, "\(slide)")
            if firstSlideTitle == nil { firstSlideTitle = slideTitle }
            try output.heading(1, slideTitle ?? "Slide \(slide)")
            for block in slideBlocks { try output.paragraph(block) }
            if !notes.isEmpty { try output.paragraph("Speaker notes: " + notes.joined(separator: " ")) }
        }
    }
}
