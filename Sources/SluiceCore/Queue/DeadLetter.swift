/// A document that failed for good, with why.
///
/// Its JSON form (the CLI's `dlq` and the API's `/v1/dead-letters`) is
/// `id` (`tenant:docId`), `tenant`, `docId`, `revision`, `attempts`,
/// `reason` and `since` (ISO 8601).
public struct DeadLetter: Sendable, Equatable, Encodable {
    public var key: DocumentKey
    public var revision: Int64
    public var attempts: Int
    public var reason: String
    public var since: Timestamp

    public init(key: DocumentKey, revision: Int64, attempts: Int, reason: String, since: Timestamp) {
        self.key = key
        self.revision = revision
        self.attempts = attempts
        self.reason = reason
        self.since = since
    }

    private enum CodingKeys: String, CodingKey {
        case id, tenant, docId, revision, attempts, reason, since
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key.deadLetterID, forKey: .id)
        try container.encode(key.tenant.rawValue, forKey: .tenant)
        try container.encode(key.docId.rawValue, forKey: .docId)
        try container.encode(revision, forKey: .revision)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(reason, forKey: .reason)
        try container.encode(since.iso8601, forKey: .since)
    }
}

extension DocumentKey {
    /// `tenant:docId`, how dead letters are named in the CLI and the API
    /// (a tenant name never holds a colon; a docId may).
    public var deadLetterID: String { "\(tenant.rawValue):\(docId.rawValue)" }

    /// Parses `tenant:docId`; throws a clear error naming the id otherwise.
    public init(deadLetterID id: String) throws {
        guard let colon = id.firstIndex(of: ":") else {
            throw SluiceError(.invalidInput, "dead letter id \"\(id.prefix(100))\" is not TENANT:DOCID (as `sluice dlq list` shows it)", field: "id")
        }
        self.init(tenant: try TenantID(String(id[..<colon])), docId: try DocumentID(String(id[id.index(after: colon)...])))
    }
}
