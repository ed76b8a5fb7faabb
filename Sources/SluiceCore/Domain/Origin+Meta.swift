import Foundation

/// How a queue or document row stores where a change came from (both backends).
extension Origin {
    /// The meta object of a document published over the API, as stored (JSON); nil for files.
    public var metaJSON: String? {
        guard case .api(let meta) = self else { return nil }
        return (try? JSONEncoder.stable.encode(meta)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The origin of an API document from its stored meta, or a bare one naming the document.
    public static func api(storedMeta: String?, key: DocumentKey) -> Origin {
        let decoded = storedMeta.flatMap { try? JSONDecoder().decode(DocumentMeta.self, from: Data($0.utf8)) }
        return .api(decoded ?? DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue))
    }
}
