import SluiceCore

/// The text of a converted document as Markdown the chunker understands:
/// headings as `#` lines (so sections stay together), paragraphs and list
/// items as blocks, table rows as one line with cells separated by ` | `,
/// and each page, slide or sheet as a place. Capped at `SLUICE_MAX_TEXT_BYTES`.
struct OfficeText {
    private var text: BoundedText
    private(set) var places: [Place] = []
    /// Images without text that were left out.
    var images = 0

    init(maxTextBytes: Int) { text = BoundedText(limit: maxTextBytes) }

    /// Starts a page, slide or sheet.
    mutating func place(_ kind: Place.Kind, _ label: String) {
        places.append(Place(kind, label, at: text.isEmpty ? 0 : text.count + 2))
    }

    mutating func heading(_ level: Int, _ line: String) throws {
        let content = OfficeText.oneLine(line)
        guard !content.isEmpty else { return }
        try block(String(repeating: "#", count: min(max(level, 1), 6)) + " " + content)
    }

    mutating func paragraph(_ line: String) throws {
        let content = OfficeText.trimmed(line)
        guard !content.isEmpty else { return }
        try block(content)
    }

    mutating func listItem(_ line: String, level: Int = 0) throws {
        let content = OfficeText.oneLine(line)
        guard !content.isEmpty else { return }
        try block(String(repeating: "  ", count: min(level, 8)) + "- " + content)
    }

    /// A table row: its non-empty cells on one line.
    mutating func row(_ cells: [String]) throws {
        let values = cells.map(OfficeText.oneLine)
        guard values.contains(where: { !$0.isEmpty }) else { return }
        try block(values.joined(separator: " | "))
    }

    private mutating func block(_ content: String) throws {
        if !text.isEmpty { try text.append([0x0A, 0x0A]) }
        try text.append(content)
    }

    /// The text, with a note on the images left out when there were any.
    func extracted(title: String?, format: String) -> ExtractedText {
        var warnings: [String] = []
        if images > 0 { warnings.append("\(images) image\(images == 1 ? "" : "s") without text left out") }
        let title = title.map(OfficeText.oneLine).flatMap { $0.isEmpty ? nil : $0 }
        return ExtractedText(text: text.text, title: title, warnings: warnings, places: places)
    }

    var isEmpty: Bool { text.isEmpty }

    /// Whitespace runs (line breaks included) as single spaces, trimmed.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Trims spaces and line breaks at both ends; keeps inner line breaks, with spaces around them removed.
    static func trimmed(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ") }
            .joined(separator: "\n")
            .trimmingCharacters(in: " \n")
    }
}
