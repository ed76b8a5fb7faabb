import Foundation
import SluiceCore
import ZIPFoundation

/// A ZIP-based document (Office Open XML, OpenDocument, EPUB) opened in
/// memory, whose parts are inflated under one budget for the whole document
/// (`SLUICE_MAX_INFLATED_BYTES`): a ZIP bomb is refused at the budget, not
/// inflated. Parts are looked up by name and never written anywhere, so
/// names such as `../../etc/passwd` are only names.
final class ZipPackage {
    private let archive: Archive
    /// The entries by name, read once: `Archive`'s own lookup walks the whole
    /// central directory each time, which a file of a million tiny parts and
    /// thousands of slides would turn quadratic.
    private let entries: [String: Entry]
    /// More parts than any real document has is refused.
    static let maxParts = 65_536
    private var remaining: Int
    let limit: Int
    /// Text the parts' XML may still hand over: all parts together count against SLUICE_MAX_TEXT_BYTES.
    private var text: XMLEvents.TextBudget
    /// What the document is, for messages: "DOCX".
    let format: String
    /// Past it, inflating and parsing stop (SLUICE_EXTRACT_TIMEOUT_SECONDS): the worker has given up on
    /// the document by then, and a thread cannot be killed, so the work must end itself.
    let deadline: ContinuousClock.Instant
    let timeout: Duration

    init(_ bytes: [UInt8], format: String, limits: ExtractionLimits) throws {
        guard bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) else {
            throw SluiceError(.extraction, "not a \(format) file (it is not a ZIP archive); check the file or its extension")
        }
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw SluiceError(.extraction, "not a readable \(format) file (its ZIP directory is damaged); check the file")
        }
        self.format = format
        limit = limits.maxInflatedBytes
        remaining = limits.maxInflatedBytes
        text = XMLEvents.TextBudget(limit: limits.maxTextBytes)
        timeout = limits.timeout
        deadline = ContinuousClock.now + limits.timeout
        var entries: [String: Entry] = [:]
        for entry in archive {
            guard entries.count < ZipPackage.maxParts else {
                throw SluiceError(.extraction, "not a readable \(format) file (it has more than \(ZipPackage.maxParts) parts); check the file")
            }
            // A name given twice: the first one, as Archive's own lookup would.
            if entries[entry.path] == nil { entries[entry.path] = entry }
        }
        self.entries = entries
    }

    /// Parses part `path` into `handler`; false when there is no such part (an error when it is `required`).
    @discardableResult
    func parse(_ path: String, required: Bool = false, into handler: some XMLEvents.Handler) throws -> Bool {
        guard let data = try required ? requiredPart(path) : part(path) else { return false }
        text = try XMLEvents.parse(data, part: path, into: handler, text: text, until: deadline, timeout: timeout)
        return true
    }

    /// The text of the first `title` element (`dc:title`) of part `path`, on
    /// one line; nil when the part or the title is missing or empty.
    func title(in path: String) throws -> String? {
        final class Title: XMLEvents.Handler {
            var text = ""
            var depth = 0
            var done = false
            func start(_ name: Substring, _ attributes: [String: String]) {
                if depth > 0 || (name == "title" && !done) { depth += 1 }
            }
            func end(_ name: Substring) {
                guard depth > 0 else { return }
                depth -= 1
                if depth == 0 { done = true }
            }
            func text(_ text: String) { if depth > 0 { self.text += text } }
        }
        let reader = Title()
        try parse(path, into: reader)
        let title = OfficeText.oneLine(reader.text)
        return title.isEmpty ? nil : title
    }

    /// The inflated bytes of part `path`, or nil when there is none.
    func part(_ path: String) throws -> Data? {
        guard let entry = entries[path], entry.type == .file else { return nil }
        guard ContinuousClock.now < deadline else { throw ExtractionLimits.tooSlow(timeout) }
        // The declared size can lie; it only saves inflating what it already says is too much.
        if entry.uncompressedSize > UInt64(remaining) { throw tooLarge() }
        var data = Data()
        data.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard chunk.count <= self.remaining else { throw Refusal.tooLarge }
                guard ContinuousClock.now < self.deadline else { throw Refusal.tooSlow }
                self.remaining -= chunk.count
                data.append(chunk)
            }
        } catch Refusal.tooLarge {
            throw tooLarge()
        } catch Refusal.tooSlow {
            throw ExtractionLimits.tooSlow(timeout)
        } catch {
            throw SluiceError(.extraction, "not a readable \(format) file (its part \(path) cannot be inflated); the file is damaged")
        }
        return data
    }

    /// Part `path`, which the format requires.
    func requiredPart(_ path: String) throws -> Data {
        guard let data = try part(path) else {
            throw SluiceError(.extraction, "not a readable \(format) file (it has no \(path)); check the file or its extension")
        }
        return data
    }

    private enum Refusal: Error { case tooLarge, tooSlow }

    private func tooLarge() -> SluiceError {
        SluiceError(
            .extraction,
            "it inflates to more than the \(ByteCount(limit)) limit (SLUICE_MAX_INFLATED_BYTES): a ZIP bomb or an unusually large \(format); raise the limit to index it")
    }
}

/// Resolves a relationship target (`slides/slide1.xml`, `../media/a.png`,
/// `/word/document.xml`) against the folder of the part that names it.
func resolvePartPath(_ target: String, from base: String) -> String {
    var parts: [Substring] = target.hasPrefix("/") ? [] : base.split(separator: "/").dropLast()
    for component in target.split(separator: "/") {
        switch component {
        case ".": continue
        case "..": if !parts.isEmpty { parts.removeLast() }
        default: parts.append(component)
        }
    }
    return parts.joined(separator: "/")
}
