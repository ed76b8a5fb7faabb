import SluiceCore

/// `.md`, `.markdown`: the text as written (headings guide the chunker), less
/// YAML front matter, whose `title:` becomes the title; else the first heading.
public struct MarkdownExtractor: Extractor {
    public let mimeType = "text/markdown"

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        var text = try TextDecoding.decode(bytes)
        var title: String?
        if text.hasPrefix("---\n") || text.hasPrefix("---\r\n") {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: " \r") == "---" }) {
                for line in lines[1..<end] where line.hasPrefix("title:") {
                    title = line.dropFirst(6).trimmingCharacters(in: " \t\r\"'")
                }
                text = lines[(end + 1)...].joined(separator: "\n")
            }
        }
        if title == nil {
            title = MarkdownExtractor.firstHeading(in: text)
        }
        return ExtractedText(text: text, title: title?.isEmpty == true ? nil : title)
    }

    /// The text of the first ATX heading within the first 200 lines.
    static func firstHeading(in text: String) -> String? {
        var utf8 = text.utf8[...]
        for _ in 0..<200 {
            guard !utf8.isEmpty else { return nil }
            let end = utf8.firstIndex(of: 0x0A) ?? utf8.endIndex
            let line = utf8[..<end].drop { $0 == 0x20 }
            if line.first == 0x23 {
                let title = Substring(line).drop { $0 == "#" }.trimmingCharacters(in: " \t\r#")
                if !title.isEmpty { return title }
            }
            utf8 = end == utf8.endIndex ? utf8[end...] : utf8[utf8.index(after: end)...]
        }
        return nil
    }
}

extension StringProtocol {
    /// Trims the given characters from both ends (Foundation-free).
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
