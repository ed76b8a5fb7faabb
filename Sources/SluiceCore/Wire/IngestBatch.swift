/// The body of `POST /v1/ingest/batch`: what the API reads and what
/// `ForwardSink` sends to another Sluice.
public struct IngestBatch<Document: Sendable>: Sendable {
    /// low, normal (absent) or high.
    public var priority: String?
    /// The sender already settled the changes: no settle window.
    public var coalesced: Bool?
    public var documents: [Document]

    public init(priority: String? = nil, coalesced: Bool? = nil, documents: [Document]) {
        self.priority = priority
        self.coalesced = coalesced
        self.documents = documents
    }
}

extension IngestBatch: Encodable where Document: Encodable {}
extension IngestBatch: Decodable where Document: Decodable {}

/// The answer (202) to a batch: one result per document, in order.
public struct IngestBatchResult: Codable, Sendable, Equatable {
    public var accepted: Int
    public var rejected: Int
    public var results: [Item]

    public struct Item: Codable, Sendable, Equatable {
        public var index: Int
        public var tenant: String?
        public var docId: String?
        public var revision: Int64?
        /// queued, coalesced, unchanged, or rejected (with `error`).
        public var status: String
        public var error: ErrorDetail?

        public init(index: Int, tenant: String? = nil, docId: String? = nil, revision: Int64? = nil, status: String, error: ErrorDetail? = nil) {
            self.index = index
            self.tenant = tenant
            self.docId = docId
            self.revision = revision
            self.status = status
            self.error = error
        }
    }

    public init(accepted: Int, rejected: Int, results: [Item]) {
        self.accepted = accepted
        self.rejected = rejected
        self.results = results
    }
}

/// An error as the API answers it, inside `{"error": ...}` or a batch item.
public struct ErrorDetail: Codable, Sendable, Equatable {
    /// A stable snake_case code (`invalid_input`, `not_found`...).
    public var code: String
    public var message: String
    /// The request field at fault, when one is (`documents[3].meta.docId`).
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }
}
