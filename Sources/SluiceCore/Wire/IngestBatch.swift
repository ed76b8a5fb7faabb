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

extension IngestBatch {
    /// A batch read by `PlainJSONReader`, each document by `document`: nil
    /// when the body, or any document in it, is anything but the plain shape,
    /// and the caller decodes it with `JSONDecoder` instead (which also
    /// words each bad document's error).
    public init?(plainJSON body: [UInt8], document: (inout PlainJSONReader) throws -> Document) {
        let batch = PlainJSONReader.read(body) { reader -> IngestBatch? in
            var priority: String??
            var coalesced: Bool??
            var documents: [Document]?
            try reader.readObject { key, reader in
                switch key {
                case "priority" where priority == nil: priority = .some(try reader.readOptionalString())
                case "coalesced" where coalesced == nil: coalesced = .some(try reader.readOptionalBool())
                case "documents" where documents == nil:
                    var read: [Document] = []
                    try reader.readArray { reader in read.append(try document(&reader)) }
                    documents = read
                default: throw PlainJSONReader.Unreadable()
                }
            }
            guard let documents else { return nil }
            return IngestBatch(priority: priority ?? nil, coalesced: coalesced ?? nil, documents: documents)
        }
        guard let batch = batch ?? nil else { return nil }
        self = batch
    }
}

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

extension IngestBatchResult {
    /// What `JSONEncoder.stable` makes of the answer, written directly: a
    /// batch of 500 spent a tenth of its time in the encoder.
    /// `PlainJSONReaderTests` holds the two to the same bytes.
    public var json: [UInt8] {
        var json = JSONWriter(capacity: 64 + results.count * 96)
        json.open()
        json.key("accepted")
        json.int(Int64(accepted))
        json.key("rejected")
        json.int(Int64(rejected))
        json.key("results")
        json.openArray()
        for item in results {
            json.element()
            json.open()
            if let docId = item.docId {
                json.key("docId")
                json.string(docId)
            }
            if let error = item.error {
                json.key("error")
                json.open()
                json.key("code")
                json.string(error.code)
                if let field = error.field {
                    json.key("field")
                    json.string(field)
                }
                json.key("message")
                json.string(error.message)
                json.close()
            }
            json.key("index")
            json.int(Int64(item.index))
            if let revision = item.revision {
                json.key("revision")
                json.int(revision)
            }
            json.key("status")
            json.string(item.status)
            if let tenant = item.tenant {
                json.key("tenant")
                json.string(tenant)
            }
            json.close()
        }
        json.closeArray()
        json.close()
        return json.bytes
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
