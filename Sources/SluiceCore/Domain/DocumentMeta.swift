import Foundation

/// A document as the HTTP API receives it (DESIGN.md, "The document").
public struct IncomingDocument: Sendable, Equatable, Codable {
    public var meta: DocumentMeta
    public var content: String?

    public init(meta: DocumentMeta, content: String?) {
        self.meta = meta
        self.content = content
    }
}

/// The `meta` object of a document.
public struct DocumentMeta: Sendable, Equatable, Codable {
    public var tenant: String
    public var docId: String
    /// Hex SHA-256 of the content bytes, or the tombstone marker; checked when given.
    public var sha256: String?
    public var mimeType: String?
    public var title: String?
    public var source: String?
    public var modifiedAt: String?
    public var deleted: Bool?
    public var attributes: [String: String]?

    public init(
        tenant: String, docId: String, sha256: String? = nil, mimeType: String? = nil, title: String? = nil,
        source: String? = nil, modifiedAt: String? = nil, deleted: Bool? = nil, attributes: [String: String]? = nil
    ) {
        self.tenant = tenant
        self.docId = docId
        self.sha256 = sha256
        self.mimeType = mimeType
        self.title = title
        self.source = source
        self.modifiedAt = modifiedAt
        self.deleted = deleted
        self.attributes = attributes
    }
}

/// A validated incoming document, ready to be published.
public struct Publication: Sendable, Equatable {
    public var key: DocumentKey
    /// The content bytes (UTF-8), nil for a tombstone.
    public var content: [UInt8]?
    public var contentHash: ContentHash?
    public var meta: DocumentMeta
    public var priority: Priority
    /// The sender already coalesced this change (a batch marked `coalesced`):
    /// it skips the settle window.
    public var isSettled = false

    public var isTombstone: Bool { content == nil }

    /// Validates `document`; every problem names the offending field.
    public init(_ document: IncomingDocument, priority: Priority, maxContentBytes: Int) throws {
        let meta = document.meta
        let tenant = try TenantID(meta.tenant)
        let docId = try DocumentID(meta.docId)
        if docId.rawValue.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw SluiceError(.invalidInput, "document id \"\(meta.docId.prefix(80))\" contains control characters", field: "meta.docId")
        }
        key = DocumentKey(tenant: tenant, docId: docId)
        self.meta = meta
        self.priority = priority
        if meta.deleted == true {
            if document.content != nil {
                throw SluiceError(.invalidInput, "a tombstone (meta.deleted: true) has no content; leave content out", field: "content")
            }
            if let sha = meta.sha256, sha != Tombstone.marker(tenant: tenant, docId: docId) {
                throw SluiceError(
                    .invalidInput, "meta.sha256 of a tombstone must be \"tombstone:\" and the SHA-256 of tenant, NUL and docId",
                    field: "meta.sha256")
            }
            content = nil
            contentHash = nil
            return
        }
        guard let text = document.content else {
            throw SluiceError(.invalidInput, "content is missing; send the document's text, or meta.deleted: true for a tombstone", field: "content")
        }
        let bytes = Array(text.utf8)
        if bytes.count > maxContentBytes {
            throw SluiceError(
                .tooLarge, "content is \(bytes.count) bytes, over the \(maxContentBytes)-byte limit (SLUICE_MAX_FILE_BYTES)",
                field: "content")
        }
        let hash = ContentHash.of(bytes)
        if let claimed = meta.sha256, claimed.lowercased() != hash.hex {
            throw SluiceError(
                .invalidInput, "meta.sha256 is \(claimed.prefix(70)) but the content hashes to \(hash.hex); send the hex SHA-256 of the UTF-8 content bytes, or leave it out",
                field: "meta.sha256")
        }
        if let title = meta.title, title.utf8.count > 1024 {
            throw SluiceError(.invalidInput, "meta.title is longer than 1024 bytes", field: "meta.title")
        }
        if let attributes = meta.attributes, attributes.count > 64 || attributes.contains(where: { $0.key.utf8.count > 128 || $0.value.utf8.count > 1024 }) {
            throw SluiceError(.invalidInput, "meta.attributes allows up to 64 keys of at most 128 bytes, values of at most 1024", field: "meta.attributes")
        }
        content = bytes
        contentHash = hash
    }
}
