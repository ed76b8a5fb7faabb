import Foundation
import SluiceCore

/// A configuration file (`--config FILE`, SLUICE_CONFIG): the lowest layer,
/// under environment variables and flags. One setting per line, as TOML
/// writes flat keys:
///
/// ```toml
/// # sluice.toml
/// data_dir = "/var/lib/sluice"
/// concurrency = 8
/// sink = "qdrant"
/// qdrant_url = "http://qdrant:6333"
/// trusted_proxies = ["10.0.0.0/8", "fd00::/8"]
/// ```
///
/// TOML rather than YAML: Sluice's settings are flat, and TOML's flat form is
/// one `key = value` line each with no indentation to get wrong; its values are
/// explicit (strings quoted, numbers bare), where YAML guesses types (`no` is
/// false, `010` may be 8). Sluice reads that flat subset: strings ("basic"
/// with escapes, or 'literal'), integers, floats, booleans and arrays of
/// strings; a table header or an unknown key is an error naming its line.
public struct ConfigurationFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The setting's file key (`batch_size`).
        public var key: String
        /// The value as the setting's own parser reads it (an array joined with commas).
        public var value: String
        public var line: Int
    }

    public let path: String
    public let entries: [Entry]

    /// Reads and parses the file at `path`.
    public static func read(_ path: String) throws -> ConfigurationFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SluiceError(.configuration, "cannot read the configuration file \(path) (\(error.localizedDescription)); check --config (SLUICE_CONFIG)")
        }
        return try ConfigurationFile(path: path, text: text)
    }

    public init(path: String, text: String) throws {
        self.path = path
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            func problem(_ message: String) -> SluiceError {
                SluiceError(.configuration, "\(path):\(line): \(message)")
            }
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces.union(["\r"]))
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("[") {
                throw problem("tables are not used; write every setting at the top level as key = value")
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw problem("expected key = value")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw problem("\"\(key.prefix(60))\" is not a setting name (letters, digits and _)")
            }
            guard Setting.all.contains(where: { $0.fileKey == key }) else {
                throw problem("\(key) is not a Sluice setting; `sluice help run` lists them (a file key is the variable without SLUICE_, lowercased)")
            }
            if let first = seen[key] { throw problem("\(key) is set twice (first on line \(first))") }
            seen[key] = line
            var rest = Substring(trimmed[trimmed.index(after: equals)...]).drop(while: { $0 == " " || $0 == "\t" })
            let value: String
            do {
                value = try ConfigurationFile.value(&rest)
            } catch let message as Message {
                throw problem("\(key): \(message.text)")
            }
            let after = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard after.isEmpty || after.hasPrefix("#") else {
                throw problem("\(key): unexpected \"\(after.prefix(40))\" after the value")
            }
            entries.append(Entry(key: key, value: value, line: line))
        }
        self.entries = entries
    }

    /// Applies every entry to `configuration`, each through its setting's parser.
    public func apply(to configuration: inout Configuration) throws {
        for entry in entries {
            guard let setting = Setting.all.first(where: { $0.fileKey == entry.key }) else { continue }
            try setting.apply(entry.value, to: &configuration, from: .file(path: path, line: entry.line))
        }
    }

    struct Message: Error {
        var text: String
    }

    /// One value at the start of `text`, consumed.
    static func value(_ text: inout Substring) throws -> String {
        guard let first = text.first else { throw Message(text: "the value is missing") }
        switch first {
        case "\"": return try basicString(&text)
        case "'":
            text.removeFirst()
            guard let close = text.firstIndex(of: "'") else { throw Message(text: "the string has no closing '") }
            defer { text = text[text.index(after: close)...] }
            return String(text[..<close])
        case "[":
            text.removeFirst()
            var items: [String] = []
            while true {
                text = text.drop(while: { $0 == " " || $0 == "\t" })
                if text.first == "]" { text.removeFirst(); break }
                guard text.first == "\"" || text.first == "'" else { throw Message(text: "an array holds strings here, e.g. [\"10.0.0.0/8\"]") }
                items.append(try value(&text))
                text = text.drop(while: { $0 == " " || $0 == "\t" })
                if text.first == "," { text.removeFirst(); continue }
                guard text.first == "]" else { throw Message(text: "expected , or ] in the array") }
            }
            return items.joined(separator: ",")
        default:
            let bare = text.prefix(while: { !$0.isWhitespace && $0 != "#" })
            text = text[bare.endIndex...]
            if bare == "true" || bare == "false" { return String(bare) }
            let digits = bare.replacingOccurrences(of: "_", with: "")
            guard !digits.isEmpty, Double(digits) != nil else {
                throw Message(text: "\"\(bare.prefix(40))\" is not a value: quote text (\"...\"), write numbers bare, or true/false")
            }
            return digits
        }
    }

    private static func basicString(_ text: inout Substring) throws -> String {
        text.removeFirst()
        var result = ""
        while let character = text.first {
            text.removeFirst()
            switch character {
            case "\"": return result
            case "\\":
                guard let escaped = text.first else { break }
                text.removeFirst()
                switch escaped {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "u":
                    let hex = text.prefix(4)
                    guard hex.count == 4, let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else {
                        throw Message(text: "\\u needs four hex digits")
                    }
                    result.unicodeScalars.append(scalar)
                    text = text.dropFirst(4)
                default: throw Message(text: "unknown escape \\\(escaped)")
                }
            default: result.append(character)
            }
        }
        throw Message(text: "the string has no closing \"")
    }
}
