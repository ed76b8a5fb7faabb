/// A condition an operator should know about, raised when it starts and
/// cleared when it ends: `queue_depth`, `error_rate`, or `circuit_open` (for
/// one destination, its `subject`).
public struct Alert: Sendable, Equatable {
    public var name: String
    /// The destination of a `circuit_open`; nil for the others.
    public var subject: String?
    /// When the condition was first seen.
    public var since: Timestamp
    /// What was measured, and the threshold it passed (seconds for `circuit_open`).
    public var value: Double
    public var threshold: Double
    /// What is wrong and what to look at, in words.
    public var message: String

    public init(name: String, subject: String? = nil, since: Timestamp, value: Double, threshold: Double, message: String) {
        self.name = name
        self.subject = subject
        self.since = since
        self.value = value
        self.threshold = threshold
        self.message = message
    }

    /// The names every deployment can raise (the `/metrics` gauges exist for each from the start).
    public static let names = ["queue_depth", "error_rate", "circuit_open"]

    /// Identifies the condition across evaluations.
    public var id: String { subject.map { "\(name):\($0)" } ?? name }
}
