import Foundation
import SluiceCore

/// `.json`: every string value with its key path (`owner.name: Ada`), one per
/// line, in document order of keys as sorted by the parser.
public struct JSONExtractor: Extractor {
    public let mimeType = "application/json"

    public init() {}

    public func extract(_ bytes: [UInt8]) throws -> ExtractedText {
        let text = try TextDecoding.decode(bytes)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw SluiceError(.extraction, "invalid JSON: \(detail); fix the file to index it")
        }
        var lines: [String] = []
        JSONExtractor.collect(object, path: "", into: &lines)
        var title: String?
        if let dictionary = object as? [String: Any] {
            title = (dictionary["title"] ?? dictionary["name"]) as? String
        }
        return ExtractedText(text: lines.joined(separator: "\n"), title: title)
    }

    static func collect(_ value: Any, path: String, into lines: inout [String]) {
        switch value {
        case let dictionary as [String: Any]:
            for key in dictionary.keys.sorted() {
                collect(dictionary[key]!, path: path.isEmpty ? key : "\(path).\(key)", into: &lines)
            }
        case let array as [Any]:
            for element in array { collect(element, path: path, into: &lines) }
        case let string as String:
            let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return }
            lines.append(path.isEmpty ? trimmed : "\(path): \(trimmed)")
        default:
            return
        }
    }
}
