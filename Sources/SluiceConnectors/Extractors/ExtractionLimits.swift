import SluiceCore

/// The limits that keep one document's extraction from hurting the machine
/// or the other tenants, from the configuration.
public struct ExtractionLimits: Sendable, Equatable {
    /// A converter child process (pdftotext) is killed past this (SLUICE_EXTRACT_TIMEOUT_SECONDS).
    public var timeout: Duration = .seconds(60)
    /// The address space of a converter child process (SLUICE_EXTRACT_MEMORY_MB).
    public var converterMemoryBytes = 512 << 20
    /// Text extracted from one document (SLUICE_MAX_TEXT_BYTES).
    public var maxTextBytes = 64 << 20
    /// Bytes inflated from one ZIP-based document, all its parts together (SLUICE_MAX_INFLATED_BYTES).
    public var maxInflatedBytes = 256 << 20

    public init() {}

    static func tooSlow(_ timeout: Duration) -> SluiceError {
        SluiceError(
            .extraction,
            "reading it took longer than \(timeout.seconds.formatted()) s (SLUICE_EXTRACT_TIMEOUT_SECONDS); raise the limit or split the document")
    }

    public static func textTooLarge(_ limit: Int) -> SluiceError {
        SluiceError(
            .extraction,
            "its text is larger than the \(ByteCount(limit)) limit (SLUICE_MAX_TEXT_BYTES); raise it or split the document")
    }
}
