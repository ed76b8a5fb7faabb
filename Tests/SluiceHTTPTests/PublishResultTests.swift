import Foundation
@testable import SluiceHTTP
import SluiceCore
import Testing

/// Every publish answers with a `PublishResult` written by `JSONWriter`; it
/// must be, byte for byte, what the stable encoder writes for the same value.
@Suite struct PublishResultTests {
    static let awkward = [
        "", "plain", "t0/doc-1.md", "a/b\\c\"d", "é 中文 🙂", "\u{2028}\u{7F}", "tab\there\nnew\rline\u{8}\u{C}",
        String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self),
    ]

    @Test(arguments: awkward)
    func writesWhatTheStableEncoderWrites(_ text: String) throws {
        var state = DocumentState(
            key: DocumentKey(tenant: TenantID(storedRawValue: "t"), docId: DocumentID(storedRawValue: text)), status: .indexed,
            contentHash: text, revision: 7, chunkCount: 2, settingsFingerprint: "f", source: "api", title: text, reason: nil,
            updatedAt: Timestamp(milliseconds: 1_700_000_000_123))
        state.notes = [text]
        let results = [
            PublishResult(tenant: text, docId: text, revision: 0, status: "queued"),
            PublishResult(tenant: "t", docId: "d", revision: .max, status: text),
            PublishResult(tenant: "t", docId: text, revision: -1, status: "indexed", state: DocumentView(state)),
        ]
        for result in results {
            #expect(String(decoding: try result.json, as: UTF8.self) == String(decoding: try JSONEncoder.stable.encode(result), as: UTF8.self))
        }
    }
}
