import Foundation
import Logging
import SluiceCore

/// `--log-format json`: one JSON object per line, with `time`, `level`,
/// `label`, `message` and the metadata as fields, for log shippers that parse
/// structured lines. Metadata keeps its types: a value logged as a number or
/// a boolean (`.stringConvertible(42)`) is a JSON number or boolean, a
/// dictionary an object, an array an array; anything else is a string.
public struct JSONLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let write: @Sendable (Data) -> Void
    private static let lock = NSLock()

    /// Writes to standard error, a whole line at a time.
    public init(label: String, level: Logger.Level) {
        self.init(label: label, level: level) { data in
            JSONLogHandler.lock.lock()
            defer { JSONLogHandler.lock.unlock() }
            FileHandle.standardError.write(data)
        }
    }

    /// Hands each line, newline included, to `write`.
    public init(label: String, level: Logger.Level, write: @escaping @Sendable (Data) -> Void) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Any] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = Self.json(value) }
        fields["time"] = Timestamp(Date()).iso8601
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(UInt8(ascii: "\n"))
        write(data)
    }

    /// A metadata value as JSONSerialization takes it.
    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text):
            return text
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: return flag
            case let number as any BinaryInteger: return NSNumber(value: Int64(clamping: number))
            case let number as Double where number.isFinite: return number
            case let number as Float where number.isFinite: return Double(number)
            default: return convertible.description
            }
        case .dictionary(let dictionary):
            return dictionary.mapValues(json)
        case .array(let array):
            return array.map(json)
        }
    }
}
