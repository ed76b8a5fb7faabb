import SluiceCore

/// Extracted text built under a cap relative to the input: a format that
/// repeats something for every value (a CSV header, a JSON key path) could
/// otherwise turn a 20 MiB file into gigabytes. Past the cap the document is
/// skipped with the reason, before the memory is spent.
struct BoundedText {
    /// How many times its input's size extracted text may be (plus a little for tiny inputs).
    static let expansion = 4
    static let allowance = 64 << 10

    private(set) var bytes: [UInt8] = []
    let limit: Int

    /// Whether the limit is relative to the input (a text format) or absolute (a converted format).
    private let relative: Bool

    init(inputBytes: Int) {
        limit = inputBytes.multipliedReportingOverflow(by: BoundedText.expansion).partialValue
            .addingReportingOverflow(BoundedText.allowance).partialValue
        relative = true
    }

    /// At most `limit` bytes of text (SLUICE_MAX_TEXT_BYTES), whatever the input's size.
    init(limit: Int) {
        self.limit = limit
        relative = false
    }

    var isEmpty: Bool { bytes.isEmpty }
    /// Bytes so far: the UTF-8 offset of what is appended next.
    var count: Int { bytes.count }

    mutating func append<Bytes: Collection<UInt8>>(_ part: Bytes) throws {
        guard bytes.count + part.count <= limit else {
            if !relative { throw ExtractionLimits.textTooLarge(limit) }
            throw SluiceError(
                .extraction,
                "its text would be more than \(BoundedText.expansion) times the file's size (a header or key repeated for every value); split or simplify the file to index it")
        }
        bytes.append(contentsOf: part)
    }

    mutating func append(_ text: String) throws { try append(text.utf8) }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A label as extracted text shows it: at most `limit` characters.
func truncatedLabel(_ label: some StringProtocol, limit: Int = 64) -> String {
    label.count <= limit ? String(label) : String(label.prefix(limit)) + "…"
}
