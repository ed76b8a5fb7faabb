/// The one error type Sluice's libraries throw.
///
/// `code` is a struct over a private enum so that codes can be added without
/// breaking exhaustive switches. The message says what was wrong, with which
/// input, and what to do. Backends wrap driver errors as `underlying`.
public struct SluiceError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidInput = "invalid_input"
            case tooLarge = "too_large"
            case configuration = "configuration"
            case notFound = "not_found"
            case storage = "storage"
            case io = "io"
            case extraction = "extraction"
            case embedding = "embedding"
            case delivery = "delivery"
            case locked = "locked"
            case leaseLost = "lease_lost"
            case cancelled = "cancelled"
            case `internal` = "internal"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Input (a document, a name, a pattern) is malformed. Not retryable.
        public static let invalidInput = Code(.invalidInput)
        /// Input is larger than a limit allows (the message names the limit and its setting). Not retryable.
        public static let tooLarge = Code(.tooLarge)
        /// A flag, variable or setting is wrong. Not retryable.
        public static let configuration = Code(.configuration)
        /// The thing asked for does not exist.
        public static let notFound = Code(.notFound)
        /// The store failed (disk full, corrupt file, busy).
        public static let storage = Code(.storage)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// Content could not be turned into text.
        public static let extraction = Code(.extraction)
        /// The embedder failed.
        public static let embedding = Code(.embedding)
        /// A sink did not take a write.
        public static let delivery = Code(.delivery)
        /// Another process holds the data directory's worker lock.
        public static let locked = Code(.locked)
        /// A worker's lease on a document no longer holds.
        public static let leaseLost = Code(.leaseLost)
        /// The operation was cancelled (shutdown).
        public static let cancelled = Code(.cancelled)
        /// A bug: an invariant did not hold.
        public static let `internal` = Code(.internal)

        /// A stable snake_case name for logs, JSON and HTTP bodies.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The input field at fault (for example `meta.docId`), when there is one.
    public var field: String?
    /// Whether trying again later may succeed.
    public var isRetryable: Bool
    /// The soonest a retry may come, when the other side said (Retry-After).
    public var retryAfter: Duration?
    public var underlying: (any Error & Sendable)?

    public init(
        _ code: Code, _ message: String, field: String? = nil,
        isRetryable: Bool = false, underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.isRetryable = isRetryable
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message) (\(underlying))" }
        return message
    }
}

extension SluiceError {
    /// What to tell a person about any error: a `SluiceError`'s message, else the error's own text.
    public static func describe(_ error: any Error) -> String {
        (error as? SluiceError)?.message ?? "\(error)"
    }
}
