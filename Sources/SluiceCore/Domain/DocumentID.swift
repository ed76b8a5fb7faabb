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

    static func problem(with id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.utf8.count > 1024 { return "is longer than 1024 bytes" }
        if id.hasPrefix("/") { return "starts with '/'; use a path relative to the tenant" }
        if id.utf8.contains(0) { return "contains a NUL character" }
        if id.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) {
            return "contains a C1 control character (U+0080 to U+009F)"
        }
        for part in id.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { return "has an empty path segment" }
            if part == "." || part == ".." { return "has a '.' or '..' path segment" }
        }
        return nil
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
