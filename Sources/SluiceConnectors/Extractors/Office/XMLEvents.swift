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
    /// With a deadline, the parse stops past it (checked every few thousand elements).
    static func parse(
        _ data: Data, part: String, into handler: some Handler, until deadline: ContinuousClock.Instant? = nil,
        timeout: Duration = .zero
    ) throws {
        // From a stream, fed to libxml2 a buffer at a time: given all at once, a part over 10 MB on one line
        // (as Excel writes sheets) passes libxml2's lookup limit and is refused as malformed.
        let parser = XMLParser(stream: InputStream(data: data))
        let delegate = Delegate(handler, deadline: deadline, timeout: timeout)
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse() else {
            if let thrown = delegate.thrown { throw thrown }
            let line = parser.lineNumber
            let code = (parser.parserError as? NSError)?.code ?? 0
            throw SluiceError(.extraction, "its part \(part) is not well-formed XML (line \(line), libxml2 error \(code)); the file is damaged")
        }
    }

    /// The local name of a possibly prefixed XML name.
    static func local(_ name: String) -> Substring {
        guard let colon = name.lastIndex(of: ":") else { return name[...] }
        return name[name.index(after: colon)...]
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        let handler: any Handler
        let deadline: ContinuousClock.Instant?
        let timeout: Duration
        var thrown: (any Error)?
        var elements = 0

        init(_ handler: any Handler, deadline: ContinuousClock.Instant?, timeout: Duration) {
            self.handler = handler
            self.deadline = deadline
            self.timeout = timeout
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
            elements += 1
            if elements & 0xFFF == 0, let deadline, ContinuousClock.now >= deadline {
                run(parser) { throw ExtractionLimits.tooSlow(timeout) }
                return
            }
            run(parser) { try handler.start(XMLEvents.local(elementName), local) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            run(parser) { try handler.end(XMLEvents.local(elementName)) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            run(parser) { try handler.text(string) }
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
