import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SluiceCore

/// Streams an XML part to a handler as start tags, end tags and text, with
/// element and attribute names stripped of their namespace prefix (`w:p`
/// is `p`): the formats read here use fixed vocabularies whose local names
/// do not collide where it matters (attributes whose do are also kept
/// under their prefixed name). libxml2 underneath: no external
/// entities are loaded, and entity expansion is bounded by libxml2.
struct XMLEvents {
    protocol Handler: AnyObject {
        func start(_ name: Substring, _ attributes: [String: String]) throws
        func end(_ name: Substring) throws
        func text(_ text: String) throws
    }

    /// Parses `data`, calling `handler`; throws `.extraction` naming `part` when the XML is malformed.
    ///
    /// The parse stops, throwing, once the text it hands over is more than
    /// `text` has left (SLUICE_MAX_TEXT_BYTES: handlers gather text into
    /// paragraphs and cells before it reaches the capped output, so without
    /// this one run of text as long as the part would be held, and worked
    /// over, whole), or past `deadline` (checked every few thousand elements
    /// or every 256 KiB of text). Returns what is left of `text`.
    @discardableResult
    static func parse(
        _ data: Data, part: String, into handler: some Handler, text: TextBudget = .unlimited,
        until deadline: ContinuousClock.Instant? = nil, timeout: Duration = .zero
    ) throws -> TextBudget {
        // From a stream, fed to libxml2 a buffer at a time: given all at once, a part over 10 MB on one line
        // (as Excel writes sheets) passes libxml2's lookup limit and is refused as malformed.
        let parser = XMLParser(stream: DataStream(data))
        let delegate = Delegate(handler, text: text, deadline: deadline, timeout: timeout)
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse() else {
            if let thrown = delegate.thrown { throw thrown }
            let line = parser.lineNumber
            let code = (parser.parserError as? NSError)?.code ?? 0
            throw SluiceError(.extraction, "its part \(part) is not well-formed XML (line \(line), libxml2 error \(code)); the file is damaged")
        }
        return delegate.text
    }

    /// Text still allowed from one document, all its parts together.
    struct TextBudget {
        /// SLUICE_MAX_TEXT_BYTES, for the message.
        let limit: Int
        private(set) var remaining: Int

        init(limit: Int) {
            self.limit = limit
            remaining = limit
        }

        static let unlimited = TextBudget(limit: .max)

        mutating func spend(_ bytes: Int) throws {
            guard bytes <= remaining else { throw ExtractionLimits.textTooLarge(limit) }
            remaining -= bytes
        }
    }

    /// Reads `data` where it is: `InputStream(data:)` copies it first, which
    /// for a part of hundreds of megabytes doubles what the document costs.
    private final class DataStream: InputStream {
        private let data: Data
        private var offset = 0

        init(_ data: Data) {
            self.data = data
            super.init(data: Data())
        }

        override func open() {}
        override func close() {}
        override var hasBytesAvailable: Bool { offset < data.count }

        override func read(_ buffer: UnsafeMutablePointer<UInt8>, maxLength: Int) -> Int {
            let count = min(maxLength, data.count - offset)
            guard count > 0 else { return 0 }
            let start = data.startIndex + offset
            data.copyBytes(to: buffer, from: start..<start + count)
            offset += count
            return count
        }
    }

    /// The local name of a possibly prefixed XML name.
    static func local(_ name: String) -> Substring {
        guard let colon = name.lastIndex(of: ":") else { return name[...] }
        return name[name.index(after: colon)...]
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        let handler: any Handler
        private(set) var text: TextBudget
        let deadline: ContinuousClock.Instant?
        let timeout: Duration
        var thrown: (any Error)?
        /// Work since the clock was last read: one per element, one per 64 bytes of text.
        private var work = 0

        init(_ handler: any Handler, text: TextBudget, deadline: ContinuousClock.Instant?, timeout: Duration) {
            self.handler = handler
            self.text = text
            self.deadline = deadline
            self.timeout = timeout
        }

        /// Counts `units` of work; false (and the parse stopped) when the deadline has passed.
        private func spend(_ units: Int, _ parser: XMLParser) -> Bool {
            work += units
            guard work >= 4096 else { return true }
            work = 0
            guard let deadline, ContinuousClock.now >= deadline else { return true }
            run(parser) { throw ExtractionLimits.tooSlow(timeout) }
            return false
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            // By local name; when a prefixed and an unprefixed attribute share one (`id` and `r:id`
            // of a PPTX slide id), the unprefixed one keeps it and the prefixed one is also under its full name.
            var local: [String: String] = [:]
            for (name, value) in attributes where !name.contains(":") { local[name] = value }
            for (name, value) in attributes where name.contains(":") {
                local[name] = value
                let short = String(XMLEvents.local(name))
                if local[short] == nil { local[short] = value }
            }
            guard spend(1, parser) else { return }
            run(parser) { try handler.start(XMLEvents.local(elementName), local) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            run(parser) { try handler.end(XMLEvents.local(elementName)) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            let bytes = string.utf8.count
            guard spend(bytes / 64 + 1, parser) else { return }
            run(parser) {
                try text.spend(bytes)
                try handler.text(string)
            }
        }

        /// A handler's error (a cap reached) stops the parse and is what `parse` throws.
        private func run(_ parser: XMLParser, _ body: () throws -> Void) {
            guard thrown == nil else { return }
            do {
                try body()
            } catch {
                thrown = error
                parser.abortParsing()
            }
        }
    }
}
