import Logging

/// The text log format (the default): swift-log's `StreamLogHandler` lines
/// on standard error, with the logger's metadata formatted when a line is
/// written rather than whenever it is set. Hummingbird sets a request id on
/// every request's logger, and `StreamLogHandler` sorts and joins all of its
/// metadata on each set: about 1% of a small publish's CPU, for lines that
/// are almost never written.
public struct TextLogHandler: LogHandler {
    private var lines: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(label: String, level: Logger.Level) {
        lines = StreamLogHandler.standardError(label: label)
        lines.logLevel = level
    }

    /// Writes its lines to `stream`.
    public init(label: String, level: Logger.Level, stream: some TextOutputStream & Sendable) {
        lines = StreamLogHandler(label: label, stream: stream)
        lines.logLevel = level
    }

    public var logLevel: Logger.Level {
        get { lines.logLevel }
        set { lines.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var lines = self.lines
        lines.metadata = metadata
        lines.log(event: event)
    }
}
