import Foundation
import SluiceCore

/// `.epub`: the chapters in spine order (from the package document that
/// `META-INF/container.xml` names), each read as HTML, and the title from
/// the package's metadata. A spine item the file does not hold makes the
/// book unreadable (the reader would skip a chapter without saying so).
public struct EPUBExtractor: Extractor {
    public let mimeType = "application/epub+zip"
    public var isConverter: Bool { true }
    public let limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) { self.limits = limits }

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let package = try ZipPackage(bytes, format: "EPUB", limits: limits)
        let container = Container()
        try package.parse("META-INF/container.xml", required: true, into: container)
        guard let opfPath = container.rootfile else {
            throw SluiceError(.extraction, "not a readable EPUB file (META-INF/container.xml names no package document); the file is damaged")
        }
        let opf = Package()
        try package.parse(opfPath, required: true, into: opf)
        var text = BoundedText(limit: limits.maxTextBytes)
        for (index, idref) in opf.spine.enumerated() {
            guard let item = opf.manifest[idref] else {
                throw SluiceError(.extraction, "not a readable EPUB file (spine item \(index + 1), \"\(truncatedLabel(idref))\", is not in its manifest); the file is damaged")
            }
            let path = resolvePartPath(item.href.removingPercentEncoding ?? item.href, from: opfPath)
            guard let chapter = try package.part(path) else {
                throw SluiceError(.extraction, "not a readable EPUB file (spine item \(index + 1), \(truncatedLabel(path)), is missing); the file is damaged")
            }
            guard item.mediaType.contains("html") else { continue }
            // As for an HTML file: one larger than the text limit is not read (its copies and passes would cost
            // several times a chapter that can inflate to SLUICE_MAX_INFLATED_BYTES).
            guard chapter.count <= limits.maxTextBytes else { throw ExtractionLimits.textTooLarge(limits.maxTextBytes) }
            let extracted = try HTMLExtractor().extract(Array(chapter))
            guard !extracted.text.isEmpty else { continue }
            if !text.isEmpty { try text.append([0x0A, 0x0A]) }
            try text.append(extracted.text.utf8)
        }
        let title = OfficeText.oneLine(opf.title)
        return ExtractedText(text: text.text, title: title.isEmpty ? nil : title)
    }

    final class Container: XMLEvents.Handler {
        var rootfile: String?
        func start(_ name: Substring, _ attributes: [String: String]) {
            if name == "rootfile", rootfile == nil { rootfile = attributes["full-path"] }
        }
        func end(_ name: Substring) {}
        func text(_ text: String) {}
    }

    final class Package: XMLEvents.Handler {
        struct Item { var href: String; var mediaType: String }
        var manifest: [String: Item] = [:]
        var spine: [String] = []
        var title = ""
        private var inTitle = false
        private var titles = 0
        func start(_ name: Substring, _ attributes: [String: String]) {
            switch name {
            case "item":
                if let id = attributes["id"], let href = attributes["href"] {
                    manifest[id] = Item(href: href, mediaType: attributes["media-type"] ?? "")
                }
            case "itemref": if let idref = attributes["idref"], attributes["linear"] != "no" { spine.append(idref) }
            case "title": titles += 1; inTitle = titles == 1
            default: break
            }
        }
        func end(_ name: Substring) { if name == "title" { inTitle = false } }
        func text(_ text: String) { if inTitle { title += text } }
    }
}
