import SluiceCore

/// `.html`, `.htm`: the page's own text. Scripts, styles, templates,
/// comments, the site's navigation, header and footer, and the head (except
/// its title) are dropped; block elements become line breaks, headings
/// Markdown headings (so the chunker sees sections), `<pre>` keeps its
/// whitespace, and every HTML5 character reference is decoded.
public struct HTMLExtractor: Extractor {
    public let mimeType = "text/html"

    public init() {}

    /// Elements whose content is never visible text.
    /// Elements whose content is never the page's own text: scripts and
    /// styles, and the site's navigation, header and footer around it.
    static let hiddenElements: Set<String> = [
        "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "nav", "header", "footer",
    ]
    static let blockElements: Set<String> = [
        "p", "div", "section", "article", "aside", "main", "ul", "ol", "table", "tr",
        "blockquote", "hr", "form", "fieldset", "figure", "figcaption", "dl", "dt", "dd", "address", "details",
        "summary", "body", "html",
    ]

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let source = Array(try TextDecoding.decode(bytes).utf8)
        var out = TextBuilder()
        var title: [UInt8] = []
        var inTitle = false
        /// Inside `<pre>`: whitespace and line breaks are kept as written.
        var preformatted = 0
        var index = 0
        let count = source.count
        while index < count {
            let byte = source[index]
            if byte != UInt8(ascii: "<") {
                let start = index
                while index < count && source[index] != UInt8(ascii: "<") { index += 1 }
                let text = HTMLExtractor.decodeEntities(source[start..<index])
                if inTitle {
                    title.append(contentsOf: text)
                } else if preformatted > 0 {
                    out.appendPreformatted(text)
                } else {
                    out.appendText(text)
                }
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
            case "pre":
                out.appendBreak(2)
                preformatted = max(0, preformatted + (tag.closing ? -1 : tag.selfClosing ? 0 : 1))
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

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
