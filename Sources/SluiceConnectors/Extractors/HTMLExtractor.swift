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

    /// Every HTML5 named character reference (`HTMLEntities.swift`), by its
    /// name: "amp;" and, for the legacy ones valid without it, "amp".
    static let namedEntities: [String: String] = {
        var table: [String: String] = [:]
        for line in entityTable.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let scalars = line[line.index(after: space)...].split(separator: ".").compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            table[String(line[..<space])] = String(String.UnicodeScalarView(scalars))
        }
        return table
    }()

    /// The longest name in the table, semicolon included.
    static let longestEntityName = namedEntities.keys.map(\.utf8.count).max() ?? 0

    /// What numeric references to C1 controls mean (the HTML5 rule: windows-1252).
    static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02C6,
        0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C,
        0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
        0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    /// Decodes character references as HTML5 does in text: every named one
    /// (legacy ones also without their semicolon, longest match first),
    /// decimal and hex ones (NUL, surrogates and values past U+10FFFF become
    /// U+FFFD, C1 controls their windows-1252 meaning). Anything else stays
    /// as written.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "&"), let (replacement, next) = reference(in: text, at: index) else {
                out.append(byte)
                index += 1
                continue
            }
            out.append(contentsOf: replacement.utf8)
            index = next
        }
        return out
    }

    /// The reference starting with the `&` at `start`: its text and where what follows it starts.
    static func reference(in text: ArraySlice<UInt8>, at start: Int) -> (String, Int)? {
        var index = start + 1
        guard index < text.endIndex else { return nil }
        if text[index] == UInt8(ascii: "#") {
            index += 1
            let hex = index < text.endIndex && (text[index] | 0x20) == UInt8(ascii: "x")
            if hex { index += 1 }
            let digitsStart = index
            var value: UInt32 = 0
            while index < text.endIndex, let digit = hexValue(text[index]), hex || digit < 10 {
                value = min(value &* (hex ? 16 : 10) &+ UInt32(digit), 0x110000)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < text.endIndex && text[index] == UInt8(ascii: ";") { index += 1 }
            let scalar: Unicode.Scalar
            if let mapped = windows1252[value] {
                scalar = Unicode.Scalar(mapped)!
            } else if value == 0 {
                scalar = "\u{FFFD}"
            } else {
                scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            }
            return (String(scalar), index)
        }
        var end = index
        while end < text.endIndex && end - index < longestEntityName && isAlphanumeric(text[end]) { end += 1 }
        guard end > index else { return nil }
        if end < text.endIndex && text[end] == UInt8(ascii: ";"),
            let value = namedEntities[String(decoding: text[index...end], as: UTF8.self)]
        {
            return (value, end + 1)
        }
        // Legacy names valid without a semicolon ("&copy 2024", "&ampx"): the longest that matches.
        var length = end - index
        while length >= 2 {
            if let value = namedEntities[String(decoding: text[index..<(index + length)], as: UTF8.self)] {
                return (value, index + length)
            }
            length -= 1
        }
        return nil
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

/// Builds extracted text: collapses whitespace inside text runs, keeps the
/// line breaks that block elements ask for.
struct TextBuilder {
    private var bytes: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0

    /// Text as a browser lays it out: runs of whitespace (no-break spaces too) are one space.
    mutating func appendText(_ text: [UInt8]) {
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                pendingSpace = true
            } else if byte == 0xC2 && index + 1 < text.count && text[index + 1] == 0xA0 {
                pendingSpace = true
                index += 1
            } else {
                flushPending()
                bytes.append(byte)
            }
            index += 1
        }
    }

    /// Text of a `<pre>`: every space and line break as written (carriage returns dropped).
    mutating func appendPreformatted(_ text: [UInt8]) {
        guard !text.isEmpty else { return }
        flushPending()
        bytes.append(contentsOf: text.lazy.filter { $0 != 0x0D })
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
