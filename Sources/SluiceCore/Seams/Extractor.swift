/// Text pulled out of a document's bytes.
public struct ExtractedText: Sendable, Equatable {
    public var text: String
    public var title: String?
    /// Things a user may want to know (e.g. "3 rows had more fields than the header").
    public var warnings: [String]

    public init(text: String, title: String? = nil, warnings: [String] = []) {
        self.text = text
        self.title = title
        self.warnings = warnings
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
    func extract(_ bytes: [UInt8]) throws -> ExtractedText
}
