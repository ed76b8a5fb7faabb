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

    static func firstHeading(in text: String) -> String? {
        for line in text.split(separator: "\n", maxSplits: 200, omittingEmptySubsequences: true).prefix(200) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("#") {
                let title = trimmed.drop { $0 == "#" }.trimmingCharacters(in: " \t\r#")
                if !title.isEmpty { return title }
            }
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
