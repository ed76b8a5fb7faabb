import SluiceCore

/// `.txt`: the text as it is.
public struct PlainTextExtractor: Extractor {
    public let mimeType = "text/plain"

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        ExtractedText(text: try TextDecoding.decode(bytes))
    }
}
