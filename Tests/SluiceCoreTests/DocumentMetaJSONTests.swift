import Foundation
import SluiceCore
import Testing

/// Queue and document rows store an API document's meta as the stable
/// encoder writes it; `stableJSON` writes it directly and must give the same
/// bytes, and the decoder must read them back, whatever a client sent.
@Suite struct DocumentMetaJSONTests {
    static let awkward: [String] = {
        var strings = ["", "plain", "a/b\\c\"d", "é 中文 🙂", "\u{2028}\u{2029}\u{7F}", "tab\there\nnew\rline\u{8}\u{C}"]
        strings.append(String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self))
        strings.append(String(decoding: (0x20..<0x80).map { UInt8($0) }, as: UTF8.self))
        return strings
    }()

    @Test(arguments: awkward)
    func matchesTheStableEncoderForEveryField(_ text: String) throws {
        let metas = [
            DocumentMeta(tenant: "t", docId: text),
            DocumentMeta(
                tenant: text, docId: "d/\(text)", sha256: text, mimeType: text, title: text, source: text, modifiedAt: text,
                deleted: false, attributes: ["b": "1", "B": "2", "a10": "x", "a9": "y", "é": "z", "": "empty"].merging([text: text]) { $1 }),
            DocumentMeta(tenant: "t", docId: "d", deleted: true, attributes: [:]),
        ]
        for meta in metas {
            let encoded = String(decoding: try JSONEncoder.stable.encode(meta), as: UTF8.self)
            #expect(meta.stableJSON == encoded)
            #expect(try JSONDecoder().decode(DocumentMeta.self, from: Data(meta.stableJSON.utf8)) == meta)
        }
    }
}

/// A batch's answer is written by `JSONWriter`; it must be, byte for byte,
/// what the stable encoder writes for the same value.
@Suite struct IngestBatchResultJSONTests {
    @Test(arguments: DocumentMetaJSONTests.awkward)
    func matchesTheStableEncoder(_ text: String) throws {
        let results = [
            IngestBatchResult(accepted: 0, rejected: 0, results: []),
            IngestBatchResult(accepted: 2, rejected: 2, results: [
                .init(index: 0, tenant: text, docId: text, revision: 12, status: "queued"),
                .init(index: 1, tenant: "t", docId: "d", revision: nil, status: text),
                .init(index: 2, status: "rejected", error: ErrorDetail(code: "invalid_input", message: text, field: "documents[2].\(text)")),
                .init(index: 3, tenant: text, status: "rejected", error: ErrorDetail(code: text, message: "m")),
                .init(index: Int.max, tenant: "t", docId: text, revision: .min, status: "unchanged"),
            ]),
        ]
        for result in results {
            #expect(String(decoding: result.json, as: UTF8.self) == String(decoding: try JSONEncoder.stable.encode(result), as: UTF8.self))
        }
    }
}
