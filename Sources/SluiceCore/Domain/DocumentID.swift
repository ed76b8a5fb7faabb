import Foundation

/// A document's id within its tenant: for files, the NFC-normalized path
/// relative to the tenant's folder, with `/` as separator.
public struct DocumentID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Validates and NFC-normalizes `rawValue`.
    public init(_ rawValue: String) throws {
        // ASCII is already NFC; only other text needs Foundation's (costly) normalization.
        let normalized = rawValue.utf8.allSatisfy { $0 < 0x80 } ? rawValue : rawValue.precomposedStringWithCanonicalMapping
        if let problem = DocumentID.problem(with: normalized) {
            throw SluiceError(.invalidInput, "document id \"\(rawValue)\" \(problem)", field: "meta.docId")
        }
        self.rawValue = normalized
    }

    /// Wraps an id read back from a store that validated and normalized it on the way in.
    public init(storedRawValue: String) {
        self.rawValue = storedRawValue
    }

    /// Builds the id of a file from its path components relative to the tenant root.
    public init(pathComponents: [String]) throws {
        try self.init(pathComponents.joined(separator: "/"))
    }

    /// Why `id` (NFC-normalized) is not a document id, or nil when it is: one
    /// pass over its UTF-8 bytes (a scan checks every file's name).
    static func problem(with id: String) -> String? {
        let bytes = id.utf8
        if bytes.isEmpty { return "is empty" }
        if bytes.count > 1024 { return "is longer than 1024 bytes" }
        if bytes.first == UInt8(ascii: "/") { return "starts with '/'; use a path relative to the tenant" }
        var segment = 0  // bytes of the segment so far
        var dots = 0  // of which '.'
        var previous: UInt8 = 0
        var problem: String?
        func endSegment() -> String? {
            if segment == 0 { return "has an empty path segment" }
            if dots == segment && segment <= 2 { return "has a '.' or '..' path segment" }
            return nil
        }
        for byte in bytes {
            if byte == 0 { return "contains a NUL character" }
            // U+0080 to U+009F are 0xC2 0x80 to 0xC2 0x9F in UTF-8.
            if previous == 0xC2 && byte >= 0x80 && byte <= 0x9F { return "contains a C1 control character (U+0080 to U+009F)" }
            previous = byte
            if byte == UInt8(ascii: "/") {
                problem = problem ?? endSegment()
                (segment, dots) = (0, 0)
            } else {
                segment += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return problem ?? endSegment()
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: DocumentID, rhs: DocumentID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A document's full address: tenant and id.
public struct DocumentKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let tenant: TenantID
    public let docId: DocumentID

    public init(tenant: TenantID, docId: DocumentID) {
        self.tenant = tenant
        self.docId = docId
    }

    public var description: String { "\(tenant)/\(docId)" }
    public static func < (lhs: DocumentKey, rhs: DocumentKey) -> Bool {
        (lhs.tenant, lhs.docId) < (rhs.tenant, rhs.docId)
    }
}
