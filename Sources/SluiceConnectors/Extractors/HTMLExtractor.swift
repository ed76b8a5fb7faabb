import SluiceCore

/// `.html`, `.htm`: the visible text. Scripts, styles, templates, comments and
/// the head (except its title) are dropped; block elements become line
/// breaks and headings become Markdown headings, so the chunker sees sections.
public struct HTMLExtractor: Extractor {
    public let mimeType = "text/html"

    public init() {}

    /// Elements whose content is never visible text.
    static let hiddenElements: Set<String> = ["script", "style", "noscript", "template", "svg", "head", "iframe", "object"]
    static let blockElements: Set<String> = [
        "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "ul", "ol", "table", "tr",
        "blockquote", "pre", "hr", "form", "fieldset", "figure", "figcaption", "dl", "dt", "dd", "address", "details",
        "summary", "body", "html",
    ]

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let source = Array(try TextDecoding.decode(bytes).utf8)
        var out = TextBuilder()
        var title: [UInt8] = []
        var inTitle = false
        var index = 0
        let count = source.count
        while index < count {
            let byte = source[index]
            if byte != UInt8(ascii: "<") {
                let start = index
                while index < count && source[index] != UInt8(ascii: "<") { index += 1 }
                let text = HTMLExtractor.decodeEntities(source[start..<index])
                if inTitle { title.append(contentsOf: text) } else { out.appendText(text) }
                continue
            }
            // A comment, doctype or processing instruction.
            if source[index...].starts(with: Array("<!--".utf8)) {
                index = HTMLExtractor.find(Array("-->".utf8), in: source, from: index + 4).map { $0 + 3 } ?? count
                continue
            }
            guard let tag = HTMLExtractor.parseTag(source, at: index) else {
                // A stray '<': literal text.
                out.appendText([byte])
                index += 1
                continue
            }
            index = tag.end
            if tag.name == "title" {
                inTitle = !tag.closing
                continue
            }
            if !tag.closing && HTMLExtractor.hiddenElements.contains(tag.name) && !tag.selfClosing {
                // Skip to the matching close tag; the head is skipped except for its title.
                let close = Array("</\(tag.name)".utf8)
                let end = HTMLExtractor.findCaseInsensitive(close, in: source, from: index) ?? count
                if tag.name == "head", let titleRange = HTMLExtractor.titleRange(source, from: index, to: end) {
                    title.append(contentsOf: HTMLExtractor.decodeEntities(source[titleRange]))
                }
                index = end
                continue
            }
            if tag.name.count == 2, tag.name.first == "h", let level = Int(String(tag.name.last!)), (1...6).contains(level) {
                out.appendBreak(2)
                if !tag.closing { out.appendRaw(Array(String(repeating: "#", count: level).utf8) + [UInt8(ascii: " ")]) }
                continue
            }
            switch tag.name {
            case "br": out.appendBreak(1)
            case "li": out.appendBreak(1); if !tag.closing { out.appendRaw(Array("- ".utf8)) }
            case "td", "th": out.appendText([UInt8(ascii: " ")])
            default:
                if HTMLExtractor.blockElements.contains(tag.name) { out.appendBreak(tag.name == "tr" ? 1 : 2) }
            }
        }
        let titleText = String(decoding: title, as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return ExtractedText(text: out.finish(), title: titleText.isEmpty ? nil : titleText)
    }

    struct Tag {
        var name: String
        var closing: Bool
        var selfClosing: Bool
        var end: Int
    }

    /// Parses `<name ...>` or `</name>` at `start`; nil when it is not a tag.
    static func parseTag(_ source: [UInt8], at start: Int) -> Tag? {
        var index = start + 1
        let count = source.count
        var closing = false
        if index < count && (source[index] == UInt8(ascii: "!") || source[index] == UInt8(ascii: "?")) {
            // <!DOCTYPE ...> or <?xml ...?>; one never closed runs to the end (were it a stray
            // '<' instead, every later "<!" would search to the end again: quadratic time).
            let end = source[index...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 } ?? count
            return Tag(name: "!", closing: false, selfClosing: true, end: end)
        }
        if index < count && source[index] == UInt8(ascii: "/") {
            closing = true
            index += 1
        }
        let nameStart = index
        while index < count, isNameByte(source[index]) { index += 1 }
        guard index > nameStart else { return nil }
        let name = String(decoding: source[nameStart..<index].map(lowercase), as: UTF8.self)
        // Skip attributes, honoring quotes.
        var quote: UInt8?
        while index < count {
            let byte = source[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                let selfClosing = index > start && source[index - 1] == UInt8(ascii: "/")
                return Tag(name: name, closing: closing, selfClosing: selfClosing, end: index + 1)
            }
            index += 1
        }
        return Tag(name: name, closing: closing, selfClosing: true, end: count)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
    }

    static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte
    }

    static func find(_ needle: [UInt8], in source: [UInt8], from start: Int) -> Int? {
        guard needle.count <= source.count else { return nil }
        var index = start
        while index + needle.count <= source.count {
            if source[index] == needle[0] && source[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    static func findCaseInsensitive(_ needle: [UInt8], in source: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= source.count {
            var matched = true
            for offset in 0..<needle.count where lowercase(source[index + offset]) != needle[offset] {
                matched = false
                break
            }
            if matched { return index }
            index += 1
        }
        return nil
    }

    static func titleRange(_ source: [UInt8], from start: Int, to end: Int) -> Range<Int>? {
        let head = Array(source[start..<end])
        guard let open = findCaseInsensitive(Array("<title".utf8), in: head, from: 0),
            let openEnd = head[open...].firstIndex(of: UInt8(ascii: ">")),
            let close = findCaseInsensitive(Array("</title".utf8), in: head, from: openEnd)
        else { return nil }
        return (start + openEnd + 1)..<(start + close)
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "\u{2014}",
        "ndash": "\u{2013}", "hellip": "\u{2026}", "copy": "\u{00A9}", "reg": "\u{00AE}", "trade": "\u{2122}",
        "laquo": "\u{00AB}", "raquo": "\u{00BB}", "lsquo": "\u{2018}", "rsquo": "\u{2019}", "ldquo": "\u{201C}",
        "rdquo": "\u{201D}", "euro": "\u{20AC}", "middot": "\u{00B7}", "bull": "\u{2022}",
    ]

    /// Decodes character references; unknown ones stay as written.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "&"),
                let semicolon = text[index..<min(text.endIndex, index + 12)].firstIndex(of: UInt8(ascii: ";"))
            else {
                out.append(byte)
                index += 1
                continue
            }
            let name = String(decoding: text[(index + 1)..<semicolon], as: UTF8.self)
            var replacement: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
            } else if name.hasPrefix("#") {
                replacement = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String($0) }
            } else {
                replacement = namedEntities[name]
            }
            if let replacement {
                out.append(contentsOf: replacement.utf8)
                index = semicolon + 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }
}

/// Builds extracted text: collapses whitespace inside text runs, keeps the
/// line breaks that block elements ask for.
struct TextBuilder {
    private var bytes: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0

    mutating func appendText(_ text: [UInt8]) {
        for byte in text {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                pendingSpace = true
            } else {
                flushPending()
                bytes.append(byte)
            }
        }
    }

    mutating func appendRaw(_ text: [UInt8]) {
        flushPending()
        bytes.append(contentsOf: text)
    }

    mutating func appendBreak(_ lines: Int) {
        pendingBreaks = max(pendingBreaks, lines)
        pendingSpace = false
    }

    private mutating func flushPending() {
        if pendingBreaks > 0 {
            if !bytes.isEmpty { bytes.append(contentsOf: repeatElement(0x0A, count: pendingBreaks)) }
            pendingBreaks = 0
            pendingSpace = false
        } else if pendingSpace {
            if !bytes.isEmpty { bytes.append(0x20) }
            pendingSpace = false
        }
    }

    func finish() -> String { String(decoding: bytes, as: UTF8.self) }
}
