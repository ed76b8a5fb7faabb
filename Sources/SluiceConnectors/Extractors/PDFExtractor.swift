#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// `.pdf`, through poppler's `pdftotext` run as a child process
/// (`ChildProcess`): text in reading order, page by page, each page a place
/// of the text (`page N`), and the title from the document's metadata.
///
/// A child process rather than poppler's C API in Sluice's own address
/// space: a hostile PDF can at worst crash, hang or bloat the child, which is
/// killed at the deadline or its memory cap while Sluice and the other
/// documents go on. It costs about 10 ms of process start per document
/// (BENCHMARKS.md, formats).
public struct PDFExtractor: Extractor {
    public let mimeType = "application/pdf"
    public var isConverter: Bool { true }
    public let limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) {
        self.limits = limits
    }

    /// Why a PDF is skipped when poppler is missing.
    static let missingTool = "PDF support needs poppler's pdftotext, which is not installed; run scripts/bootstrap (or apt-get install poppler-utils)"
    static let encrypted = "encrypted: the PDF needs a password to open; remove the password to index it"
    static let noTextLayer = "no text layer (scanned image): run OCR on the PDF (for example ocrmypdf) to index it"

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        guard let tool = ChildProcess.which("pdftotext") else { throw SluiceError(.extraction, PDFExtractor.missingTool) }
        let outcome = try ChildProcess.run(
            tool, ["-htmlmeta", "-enc", "UTF-8", "-eol", "unix", "-", "-"], input: bytes,
            limits: ChildProcess.Limits(
                timeout: limits.timeout, memoryBytes: limits.converterMemoryBytes,
                maxOutputBytes: limits.maxTextBytes * 2 + (64 << 10)))
        switch outcome {
        case .exited(0, let output, _):
            return try PDFExtractor.parse(output, maxTextBytes: limits.maxTextBytes)
        case .exited(127, _, _):
            throw SluiceError(
                .extraction,
                "pdftotext could not start within the \(ByteCount(limits.converterMemoryBytes)) memory limit (SLUICE_EXTRACT_MEMORY_MB); raise it")
        case .exited(_, _, let errors):
            // An encrypted file shows as "Command Line Error: Incorrect password"; anything else is a damaged file.
            let message = String(decoding: errors, as: UTF8.self)
            if message.contains("Incorrect password") { throw SluiceError(.extraction, PDFExtractor.encrypted) }
            let cause = message.split(separator: "\n").last { $0.hasPrefix("Syntax Error") || $0.hasPrefix("Internal Error") }
                .map { ": " + truncatedLabel($0.drop { $0 != ":" }.dropFirst().trimmingCharacters(in: " "), limit: 120) } ?? ""
            throw SluiceError(.extraction, "not a readable PDF\(cause); check that the file is a complete PDF")
        case .signaled(let signal, _):
            let cause = signal == SIGKILL || signal == SIGXCPU
                ? "it needed more than \(ByteCount(limits.converterMemoryBytes)) of memory or too much CPU"
                : "pdftotext crashed on it (signal \(signal))"
            throw SluiceError(.extraction, "not a readable PDF: \(cause); check the file, or raise SLUICE_EXTRACT_MEMORY_MB")
        case .timedOut:
            throw ExtractionLimits.tooSlow(limits.timeout)
        case .outputTooLarge:
            throw ExtractionLimits.textTooLarge(limits.maxTextBytes)
        }
    }

    /// `pdftotext -htmlmeta` output: the title in `<title>` (escaped as
    /// HTML), the text in `<pre>` as it is (not escaped), pages separated by
    /// form feeds.
    static func parse(_ output: [UInt8], maxTextBytes: Int) throws -> ExtractedText {
        let html = output[...]
        var title: String?
        if let open = html.firstRange(of: Array("<title>".utf8)), let close = html[open.upperBound...].firstRange(of: Array("</title>".utf8)) {
            let value = String(decoding: HTMLExtractor.decodeEntities(html[open.upperBound..<close.lowerBound]), as: UTF8.self)
                .trimmingCharacters(in: " \t\n\r")
            title = value.isEmpty ? nil : value
        }
        guard let pre = html.firstRange(of: Array("<pre>".utf8)) else {
            throw SluiceError(.extraction, "pdftotext gave no text for it; check that the file is a complete PDF")
        }
        let end = html[pre.upperBound...].lastRange(of: Array("</pre>".utf8))?.lowerBound ?? html.endIndex
        let body = html[pre.upperBound..<end]
        var text = BoundedText(limit: maxTextBytes)
        var places: [Place] = []
        var pageNumber = 0
        for page in body.split(separator: 0x0C, omittingEmptySubsequences: false) {
            pageNumber += 1
            let content = MarkdownChunker.trim(Array(page))
            guard !content.isEmpty else { continue }
            if !text.isEmpty { try text.append([0x0A, 0x0A]) }
            places.append(Place(.page, "\(pageNumber)", at: text.count))
            try text.append(content)
        }
        guard !places.isEmpty else { throw SluiceError(.extraction, noTextLayer) }
        return ExtractedText(text: text.text, title: title, places: places)
    }
}
