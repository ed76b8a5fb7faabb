import Foundation
import SluiceCore

/// `.docx` (Office Open XML): the body of `word/document.xml` in order:
/// headings (by their style's outline level) as Markdown headings, list
/// items, paragraphs, and table rows with cells separated by ` | `. Deleted
/// text of tracked changes and field codes are left out; the title comes
/// from `docProps/core.xml`, else from a paragraph in the Title style.
public struct DOCXExtractor: Extractor {
    public let mimeType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    public var isConverter: Bool { true }
    public let limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) { self.limits = limits }

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let package = try ZipPackage(bytes, format: "DOCX", limits: limits)
        let body = Body(styles: try DOCXExtractor.styles(package), maxTextBytes: limits.maxTextBytes)
        try package.parse("word/document.xml", required: true, into: body)
        let title = try OOXMLMetadata.title(package) ?? body.styledTitle
        return body.output.extracted(title: title, format: "DOCX")
    }

    /// What the paragraph styles say about structure.
    struct Styles {
        /// The heading level of each heading style (level 1 is `#`).
        var levels: [String: Int] = [:]
        /// The styles that number or bullet their paragraphs ("List Bullet").
        var lists: Set<String> = []
    }

    /// "heading N" styles and any with an outline level are headings (the
    /// Title style is level 1 too); styles with numbering are list styles.
    static func styles(_ package: ZipPackage) throws -> Styles {
        final class Reader: XMLEvents.Handler {
            var styles = Styles()
            var current: String?
            func start(_ name: Substring, _ attributes: [String: String]) {
                switch name {
                case "style": current = attributes["type"] == "paragraph" ? attributes["styleId"] : nil
                case "name":
                    guard let current, let value = attributes["val"]?.lowercased() else { return }
                    if value == "title" { styles.levels[current] = 1 }
                    if value.hasPrefix("heading "), let level = Int(value.dropFirst(8)), (1...9).contains(level) {
                        styles.levels[current] = level
                    }
                case "outlineLvl":
                    if let current, let level = attributes["val"].flatMap(Int.init), (0...8).contains(level) {
                        styles.levels[current] = level + 1
                    }
                case "numPr":
                    if let current { styles.lists.insert(current) }
                default: break
                }
            }
            func end(_ name: Substring) { if name == "style" { current = nil } }
            func text(_ text: String) {}
        }
        let reader = Reader()
        try package.parse("word/styles.xml", into: reader)
        return reader.styles
    }

    /// Walks the body: paragraphs (`p`) of runs' text (`t`), tables (`tbl`, `tr`, `tc`).
    final class Body: XMLEvents.Handler {
        let styles: Styles
        var output: OfficeText
        var styledTitle: String?
        private var paragraph = ""
        private var style: String?
        private var outline: Int?
        private var isListItem = false
        private var listLevel = 0
        private var inText = false
        /// Cells of the rows being read, innermost table last (tables nest).
        private var tables: [[String]] = []
        private var cell: [String] = []
        /// Inside deleted text or a field code: skipped.
        private var skipping = 0

        init(styles: Styles, maxTextBytes: Int) {
            self.styles = styles
            output = OfficeText(maxTextBytes: maxTextBytes)
        }

        func start(_ name: Substring, _ attributes: [String: String]) throws {
            switch name {
            case "p":
                paragraph = ""; style = nil; outline = nil; isListItem = false; listLevel = 0
            case "pStyle": style = attributes["val"]
            case "outlineLvl": outline = attributes["val"].flatMap(Int.init)
            case "numPr": isListItem = true
            case "ilvl": listLevel = attributes["val"].flatMap(Int.init) ?? 0
            case "t": inText = true
            case "tab": if skipping == 0 { paragraph += " " }
            case "br", "cr": if skipping == 0 { paragraph += "\n" }
            case "del", "instrText", "delText": skipping += 1
            case "tbl": tables.append([])
            case "tc": cell = []
            case "blip", "imagedata": output.images += 1
            default: break
            }
        }

        func end(_ name: Substring) throws {
            switch name {
            case "t": inText = false
            case "del", "instrText", "delText": skipping -= 1
            case "p": try endParagraph()
            case "tc":
                if !tables.isEmpty { tables[tables.count - 1].append(cell.joined(separator: " ")) }
            case "tr":
                guard !tables.isEmpty else { return }
                let cells = tables[tables.count - 1]
                tables[tables.count - 1] = []
                if tables.count == 1 { try output.row(cells) } else { cell.append(cells.joined(separator: " ")) }
            case "tbl": _ = tables.popLast()
            default: break
            }
        }

        func text(_ text: String) throws {
            if inText && skipping == 0 { paragraph += text }
        }

        private func endParagraph() throws {
            if !tables.isEmpty {
                cell.append(OfficeText.oneLine(paragraph))
                return
            }
            let level = outline.map { $0 + 1 } ?? style.flatMap { styles.levels[$0] }
            if let level, (1...9).contains(level) {
                if style?.lowercased() == "title" && styledTitle == nil { styledTitle = OfficeText.oneLine(paragraph) }
                try output.heading(level, paragraph)
            } else if isListItem || style.map(styles.lists.contains) == true {
                try output.listItem(paragraph, level: listLevel)
            } else {
                try output.paragraph(paragraph)
            }
        }
    }
}

/// The metadata every Office Open XML package has in `docProps/core.xml`.
enum OOXMLMetadata {
    /// `dc:title`, when it is there and not empty.
    static func title(_ package: ZipPackage) throws -> String? {
        try package.title(in: "docProps/core.xml")
    }
}
