import Foundation
import SluiceApp
import SluiceCore
import Testing

/// `sluice run`'s own progress: a tenant's rate runs from its first finished
/// document, so a tenant worked late in the run is not shown as slow.
@Suite struct RunProgressTests {
    @Test func aTenantsRateStartsAtItsFirstFinishedDocument() throws {
        var counts = RunProgress.TenantCounts()
        counts.total = 100
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(counts.perSecond(at: start) == nil, "nothing done")
        counts.firstDoneAt = start
        counts.indexed = 1
        #expect(counts.perSecond(at: start + 5) == nil, "one document is no rate")
        counts.indexed = 40
        counts.skipped = 1
        // 40 documents after the first, in 4 s: 10 a second, however long the run went before.
        #expect(counts.perSecond(at: start + 4) == 10)
        #expect(counts.perSecond(at: start + 0.1) == 40, "a batch done at once: over a second at least")
    }

    @Test func recordingNotesTheFirstDocumentOnce() throws {
        let progress = RunProgress()
        let key = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("a.md"))
        progress.setTotal(3, for: key.tenant)
        #expect(progress.snapshot().tenants["acme"]?.firstDoneAt == nil)
        progress.record(.indexed, for: key)
        let first = try #require(progress.snapshot().tenants["acme"]?.firstDoneAt)
        progress.record(.skipped(reason: "empty"), for: key)
        #expect(progress.snapshot().tenants["acme"]?.firstDoneAt == first)
        #expect(progress.snapshot().tenants["acme"]?.done == 2)
    }
}
