import Foundation

/// How a queue or document row stores where a change came from (both backends).
extension Origin {
    /// The meta object of a document published over the API, as stored (JSON); nil for files.
    public var metaJSON: String? {
        guard case .api(let meta) = self else { return nil }
        return meta.stableJSON
    }

    /// The origin of an API document from its stored meta, or a bare one naming the document.
    public static func api(storedMeta: String?, key: DocumentKey) -> Origin {
        let decoded = storedMeta.flatMap { try? JSONDecoder().decode(DocumentMeta.self, from: Data($0.utf8)) }
        return .api(decoded ?? DocumentMeta(tenant: key.tenant.rawValue, docId: key.docId.rawValue))
    }
}

extension DocumentMeta {
    /// What `JSONEncoder.stable` makes of the meta (keys sorted, absent ones
    /// left out, slashes unescaped), written directly: every queue row and
    /// indexed document of an API document stores it, and the encoder cost
    /// more than the rest of saving the row.
    public var stableJSON: String {
        var json = JSONWriter()
        json.open()
        if let attributes {
            json.key("attributes")
            json.open()
            for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
                json.key(key)
                json.string(value)
            }
            json.close()
        }
        if let deleted {
            json.key("deleted")
            json.raw((deleted ? "true" : "false").utf8)
        }
        json.key("docId")
        json.string(docId)
        if let mimeType { json.key("mimeType"); json.string(mimeType) }
        if let modifiedAt { json.key("modifiedAt"); json.string(modifiedAt) }
        if let sha256 { json.key("sha256"); json.string(sha256) }
        if let source { json.key("source"); json.string(source) }
        json.key("tenant")
        json.string(tenant)
        if let title { json.key("title"); json.string(title) }
        json.close()
        return json.text
    }
}
