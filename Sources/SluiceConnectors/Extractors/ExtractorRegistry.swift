import SluiceCore

/// Chooses an extractor by file extension.
public struct ExtractorRegistry: Sendable {
    private let byExtension: [String: any Extractor]

    public init(_ byExtension: [String: any Extractor]) {
        self.byExtension = byExtension
    }

    /// Every supported type under the default limits.
    public static let standard = ExtractorRegistry.standard(limits: ExtractionLimits())

    /// `.txt`, `.md`/`.markdown`, `.html`/`.htm`, `.json`, `.csv`, `.pdf`, `.docx`, `.pptx`, `.xlsx`, `.odt`, `.ods`, `.odp`, `.epub`.
    public static func standard(limits: ExtractionLimits) -> ExtractorRegistry {
        ExtractorRegistry([
            "txt": PlainTextExtractor(), "text": PlainTextExtractor(),
            "md": MarkdownExtractor(), "markdown": MarkdownExtractor(),
            "html": HTMLExtractor(), "htm": HTMLExtractor(),
            "json": JSONExtractor(),
            "csv": CSVExtractor(),
            "pdf": PDFExtractor(limits: limits),
            "docx": DOCXExtractor(limits: limits),
            "pptx": PPTXExtractor(limits: limits),
            "xlsx": XLSXExtractor(limits: limits),
            "odt": OpenDocumentExtractor(.text, limits: limits),
            "ods": OpenDocumentExtractor(.spreadsheet, limits: limits),
            "odp": OpenDocumentExtractor(.presentation, limits: limits),
            "epub": EPUBExtractor(limits: limits),
        ])
    }

    public var supportedExtensions: [String] { byExtension.keys.sorted() }

    /// Every extractor's fingerprint (its type and version).
    public var fingerprints: Set<String> { Set(byExtension.values.map(\.fingerprint) + [PlainTextExtractor().fingerprint]) }

    /// The extractor for `path`, or nil when its type is not supported.
    public func extractor(forPath path: String) -> (any Extractor)? {
        guard let ext = ExtractorRegistry.fileExtension(of: path) else { return nil }
        return byExtension[ext]
    }

    /// The extractor for a MIME type (parameters such as `; charset=utf-8` ignored).
    public func extractor(forMimeType mimeType: String) -> (any Extractor)? {
        let base = mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: " ").lowercased() } ?? ""
        return byExtension.values.first { $0.mimeType == base }
    }

    /// The lowercased extension of the last path component, without the dot.
    public static func fileExtension(of path: String) -> String? {
        let name = path.split(separator: "/").last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...]
        return ext.isEmpty ? nil : ext.lowercased()
    }

    /// How every reason for a file of an unsupported type starts: a newer
    /// Sluice that reads the type finds these files by it (`requeueSkippedFiles`).
    public static let unsupportedReasonPrefix = "unsupported file type"

    /// Why `path` is not indexed, for a file of an unsupported type.
    public func unsupportedReason(forPath path: String) -> String {
        let extensions = supportedExtensions.map { "." + $0 }
        let list = extensions.dropLast().joined(separator: ", ") + " and " + (extensions.last ?? "")
        let prefix = ExtractorRegistry.unsupportedReasonPrefix
        if let ext = ExtractorRegistry.fileExtension(of: path) {
            return "\(prefix) .\(ext) (Sluice indexes \(list))"
        }
        return "\(prefix): no extension (Sluice indexes \(list))"
    }
}
