/// Text pulled out of a document's bytes.
public struct ExtractedText: Sendable, Equatable {
    public var text: String
    public var title: String?
    /// Things a user may want to know (e.g. "3 rows had more fields than the header").
    public var warnings: [String]
    /// Where each part of the text comes from (pages, slides, sheets), in
    /// order of `offset`; empty for formats without such parts.
    public var places: [Place]

    public init(text: String, title: String? = nil, warnings: [String] = [], places: [Place] = []) {
        self.text = text
        self.title = title
        self.warnings = warnings
        self.places = places
    }
}

/// A page, slide or sheet of a document, starting at a UTF-8 `offset` of
/// the extracted text. The chunker starts a chunk at each place's start and
/// records in each chunk the places its text comes from.
public struct Place: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        case page, slide, sheet
    }

    public var kind: Kind
    /// The page or slide number ("3"), or the sheet's name.
    public var label: String
    public var offset: Int

    public init(_ kind: Kind, _ label: String, at offset: Int) {
        self.kind = kind
        self.label = label
        self.offset = offset
    }
}

/// Turns the bytes of one format into text.
///
/// Pure and synchronous: callers run it off the cooperative pool when the
/// input is large. Throws `SluiceError` with code `.extraction` when the
/// content cannot be read as this format (the document is then recorded as
/// skipped with that message); never retryable.
public protocol Extractor: Sendable {
    /// The MIME type this extractor reads, for example `text/markdown`.
    var mimeType: String { get }
    /// Whether it converts a binary format (PDF, Office, EPUB), whose text is
    /// a fraction of the file; false for text formats, whose text is about as
    /// large as the file (so a file over `SLUICE_MAX_TEXT_BYTES` need not be read).
    var isConverter: Bool { get }
    /// Raised whenever the text it makes of the same bytes changes: the
    /// documents it read are then read again (and only those).
    var version: Int { get }
    func extract(_ bytes: [UInt8]) throws -> ExtractedText
}

extension Extractor {
    public var isConverter: Bool { false }
    public var version: Int { 1 }

    /// Part of the settings fingerprint of every document it read: `text/html@1`.
    public var fingerprint: String { "\(mimeType)@\(version)" }
}
