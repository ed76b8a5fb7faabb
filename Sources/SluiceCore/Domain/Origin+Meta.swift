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
            json.raw(deleted ? "true" : "false")
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

/// A compact JSON object writer with the encoder's string escaping.
private struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var first = true

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func raw(_ value: String) { bytes.append(contentsOf: value.utf8) }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape(byte)
            case 0x08: escape(UInt8(ascii: "b"))
            case 0x0C: escape(UInt8(ascii: "f"))
            case 0x0A: escape(UInt8(ascii: "n"))
            case 0x0D: escape(UInt8(ascii: "r"))
            case 0x09: escape(UInt8(ascii: "t"))
            case 0..<0x20:
                escape(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(byte)
    }
}
