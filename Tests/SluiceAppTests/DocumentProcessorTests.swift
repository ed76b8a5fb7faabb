import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing
@testable import SluiceApp

/// A published document whose stored content is gone: a skipped document
/// keeps none, so writing it again (a sink's repair) skips it again with its
/// reason; any other missing content is an error that says what to do.
@Suite struct DocumentProcessorTests {
    let processor = DocumentProcessor(
        extractors: ExtractorRegistry(["md": MarkdownExtractor()]), chunker: MarkdownChunker(), maxFileBytes: 1 << 20,
        settingsFingerprint: "fp", clock: ManualClock(), stabilityWindow: .zero)
    let key = DocumentKey(tenant: TenantID(storedRawValue: "acme"), docId: DocumentID(storedRawValue: "a.bin"))
    let hash = ContentHash.of("binary")

    func lease(_ hash: ContentHash) -> Lease {
        Lease(
            key: key, token: "t", revision: 2, kind: .upsert, origin: .api(DocumentMeta(tenant: "acme", docId: "a.bin")),
            contentHash: hash, priority: .normal, expiresAt: Timestamp(milliseconds: 0), attempts: 0,
            enqueuedAt: Timestamp(milliseconds: 0))
    }

    func recorded(_ status: DocumentState.Status, reason: String?) -> DocumentState {
        DocumentState(
            key: key, status: status, contentHash: hash.hex, revision: 1, chunkCount: 0, settingsFingerprint: "",
            source: "api", title: nil, reason: reason, updatedAt: Timestamp(milliseconds: 0))
    }

    @Test func aSkippedDocumentWithoutItsContentIsSkippedAgainWithItsReason() throws {
        let (prepared, _) = try processor.prepare(lease(hash), indexed: recorded(.skipped, reason: "binary content"), storedContent: nil)
        guard case .finished(.skipped(let skippedHash, let reason)) = prepared else {
            Issue.record("not skipped: \(prepared)")
            return
        }
        #expect(skippedHash == hash && reason == "binary content")
    }

    @Test func otherMissingContentIsAnError() {
        // Another content than the skipped one, or a document that is not skipped: publish it again.
        for (leased, state) in [(ContentHash.of("newer"), recorded(.skipped, reason: "binary content")), (hash, recorded(.indexed, reason: nil))] {
            #expect(throws: SluiceError.self) { try processor.prepare(lease(leased), indexed: state, storedContent: nil) }
        }
    }
}
