import Foundation
import SluiceCore

/// `.pptx` (Office Open XML): the slides in presentation order, each a place
/// (`slide N`) starting with its title as a heading (or "Slide N"), then
/// its text boxes' paragraphs and table rows, then its speaker notes.
public struct PPTXExtractor: Extractor {
    public let mimeType = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    public var isConverter: Bool { true }
    public let limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) { self.limits = limits }

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let package = try ZipPackage(bytes, format: "PPTX", limits: limits)
        let order = try OOXMLRelationships.orderedTargets(of: "ppt/presentation.xml", element: "sldId", in: package)
        var output = OfficeText(maxTextBytes: limits.maxTextBytes)
        var firstTitle: String?
        for (index, slidePath) in order.enumerated() {
            let slide = Shapes(notes: false)
            guard try package.parse(slidePath, into: slide) else {
                throw SluiceError(.extraction, "not a readable PPTX file (slide \(index + 1), \(slidePath), is missing); the file is damaged")
            }
            output.place(.slide, "\(index + 1)")
            let title = slide.title.map(OfficeText.oneLine).flatMap { $0.isEmpty ? nil : $0 }
            if firstTitle == nil { firstTitle = title }
            try output.heading(1, title ?? "Slide \(index + 1)")
            for block in slide.blocks {
                switch block {
                case .paragraph(let text): try output.paragraph(text)
                case .row(let cells): try output.row(cells)
                }
            }
            output.images += slide.images
            let relationships = try OOXMLRelationships.read(slidePath, in: package)
            let notes = Shapes(notes: true)
            if let notesPath = relationships.values.first(where: { $0.type.hasSuffix("/notesSlide") })?.target,
                try package.parse(notesPath, into: notes)
            {
                let text = notes.blocks.compactMap { if case .paragraph(let text) = $0 { OfficeText.oneLine(text) } else { nil } }
                    .filter { !$0.isEmpty }.joined(separator: " ")
                if !text.isEmpty { try output.paragraph("Speaker notes: " + text) }
            }
        }
        let title = try OOXMLMetadata.title(package) ?? firstTitle
        return output.extracted(title: title, format: "PPTX")
    }

    /// The text of a slide's (or notes page's) shapes, in document order.
    final class Shapes: XMLEvents.Handler {
        enum Block { case paragraph(String), row([String]) }
        let notes: Bool
        var blocks: [Block] = []
        var title: String?
        var images = 0
        private var paragraph = ""
        private var inText = false
        /// The placeholder type of the shape being read ("title", "body", "sldNum").
        private var placeholder: String?
        private var shapeText: [String] = []
        private var row: [String]?
        private var cell = ""
        private var inCell = false

        init(notes: Bool) { self.notes = notes }

        /// Notes pages hold the slide's image and number too: only their body text counts.
        private var keeps: Bool { !notes || placeholder == "body" }

        func start(_ name: Substring, _ attributes: [String: String]) {
            switch name {
            case "sp": placeholder = nil; shapeText = []
            case "ph": placeholder = attributes["type"] ?? "body"
            case "p": paragraph = ""
            case "t": inText = true
            case "br": paragraph += "\n"
            case "tr": row = []
            case "tc": cell = ""; inCell = true
            case "pic", "blip": if name == "pic" { images += 1 }
            default: break
            }
        }

        func end(_ name: Substring) {
            switch name {
            case "t": inText = false
            case "p":
                if inCell {
                    cell += (cell.isEmpty ? "" : " ") + OfficeText.oneLine(paragraph)
                } else if keeps {
                    shapeText.append(paragraph)
                }
            case "tc":
                row?.append(cell)
                inCell = false
            case "tr":
                if let row { blocks.append(.row(row)) }
                row = nil
            case "sp":
                if placeholder == "title" || placeholder == "ctrTitle", !notes, title == nil {
                    title = shapeText.map(OfficeText.oneLine).filter { !$0.isEmpty }.joined(separator: " ")
                } else if keeps {
                    blocks += shapeText.map { .paragraph($0) }
                }
                placeholder = nil
                shapeText = []
            default: break
            }
        }

        func text(_ text: String) {
            if inText { paragraph += text }
        }
    }
}

/// The relationships of Office Open XML parts (`_rels/NAME.rels`).
enum OOXMLRelationships {
    struct Relationship {
        var type: String
        /// The target as a part path, resolved against the source part's folder.
        var target: String
    }

    /// The relationships of `part`, by id; empty when it has none. External targets are left out.
    static func read(_ part: String, in package: ZipPackage) throws -> [String: Relationship] {
        let folder = part.split(separator: "/").dropLast().joined(separator: "/")
        let name = part.split(separator: "/").last.map(String.init) ?? part
        let path = (folder.isEmpty ? "" : folder + "/") + "_rels/" + name + ".rels"
        final class Reader: XMLEvents.Handler {
            var found: [String: Relationship] = [:]
            let base: String
            init(base: String) { self.base = base }
            func start(_ name: Substring, _ attributes: [String: String]) {
                guard name == "Relationship", let id = attributes["Id"], let target = attributes["Target"],
                    attributes["TargetMode"] != "External"
                else { return }
                found[id] = Relationship(type: attributes["Type"] ?? "", target: resolvePartPath(target, from: base))
            }
            func end(_ name: Substring) {}
            func text(_ text: String) {}
        }
        let reader = Reader(base: part)
        try package.parse(path, into: reader)
        return reader.found
    }

    /// The parts that `element`s of `part` point to by relationship id (`r:id`), in their order:
    /// the slides of a presentation (`sldId`).
    static func orderedTargets(of part: String, element: Substring, in package: ZipPackage) throws -> [String] {
        final class Reader: XMLEvents.Handler {
            var ids: [String] = []
            let element: Substring
            init(element: Substring) { self.element = element }
            func start(_ name: Substring, _ attributes: [String: String]) {
                if name == element, let id = OOXMLRelationships.relationshipID(attributes) { ids.append(id) }
            }
            func end(_ name: Substring) {}
            func text(_ text: String) {}
        }
        let reader = Reader(element: element)
        try package.parse(part, required: true, into: reader)
        return try targets(of: reader.ids, in: part, relationships: try read(part, in: package), format: package.format)
    }

    /// The relationship id an element of `part` points with (`r:id`).
    static func relationshipID(_ attributes: [String: String]) -> String? { attributes["r:id"] ?? attributes["id"] }

    /// The part each of `ids` (named in `part`) points to; a name `part` does not define is a damaged file.
    static func targets(of ids: [String], in part: String, relationships: [String: Relationship], format: String) throws -> [String] {
        try ids.map { id in
            guard let target = relationships[id]?.target else {
                throw SluiceError(.extraction, "not a readable \(format) file (\(part) names \(id), which it does not define); the file is damaged")
            }
            return target
        }
    }
}
