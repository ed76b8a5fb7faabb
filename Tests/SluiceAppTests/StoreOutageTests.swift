import Foundation
import GRDB
import struct SluiceApp.Configuration
@testable import SluiceApp
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import SluiceWatch
import Testing

/// A long-running process's workers when the store stops taking writes
/// (here SQLite's page limit, as a full disk would; with PostgreSQL, a server
/// that went away): they wait and retry, say so once, and when the store
/// answers again give back the batch they held, so its documents are indexed
/// at once rather than when its leases expire.
@Suite(.serialized, .timeLimit(.minutes(5))) struct StoreOutageTests {
    /// A worker's step that waited for work across the start of an outage
    /// ends well; that is no news of the store, and the log does not say it
    /// answers again (it said so 4 s into an outage of 30).
    @Test func anAnswerToACallMadeBeforeTheOutageDoesNotEndIt() {
        let clock = ManualClock()
        let recorder = LogRecorder()
        let outage = StoreOutage(logger: recorder.logger(), clock: clock)
        let before = clock.now()
        clock.advance(by: .seconds(1))
        _ = outage.failed(SluiceError(.storage, "the server went away", isRetryable: true))
        clock.advance(by: .seconds(4))
        outage.answered(askedAt: before)
        #expect(outage.isDown)
        #expect(recorder.messages(containing: "answers again").isEmpty, "\(recorder.all.map(\.message))")
        let after = clock.now()
        clock.advance(by: .milliseconds(10))
        outage.answered(askedAt: after)
        #expect(!outage.isDown)
        #expect(recorder.messages(containing: "answers again after 4 s").count == 1, "\(recorder.all.map(\.message))")
    }

    @Test func aBatchHeldWhenTheStoreFailedIsIndexedOnceItAnswersNotWhenItsLeasesExpire() async throws {
        let files = try TemporaryDirectory("sluice-outage-files")
        let data = try TemporaryDirectory("sluice-outage-data")
        defer {
            files.remove()
            data.remove()
        }
        // Long enough for their chunks to need new pages of the database.
        let paragraph = (0..<40).map { "sentence \($0) of a paragraph long enough to fill pages" }.joined(separator: " ")
        for name in ["a", "b"] {
            try files.write("acme/\(name).md", "# \(name)\n\n" + (0..<60).map { "\(paragraph) \($0).\n\n" }.joined())
        }
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.concurrency = 1
        configuration.settleWindow = .zero
        // Without the batch given back, its documents would wait an hour.
        configuration.leaseDuration = .seconds(3600)
        let recorder = LogRecorder()
        let runtime = try SluiceRuntime(configuration: configuration, logger: recorder.logger())
        let store = try #require(runtime.store as? SQLiteStore)
        let roots = try TenantRoot.discover(root: files.path, singleTenant: nil).roots
        _ = try await Reconciler(store: store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: runtime.clock)
            .reconcile(roots, scanRoot: roots[0].scanRoot)
        // No page more: the completion, which writes the chunks, fails with SQLITE_FULL (retryable).
        try await store.write("capping the file") { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let worker = try #require(Runner(runtime: runtime).makeWorkers(progress: RunProgress()).first)
        let running = Task { try await worker.run(.untilShutdown(givingWayTo: nil)) }
        defer { running.cancel() }
        #expect(try await eventually(within: .seconds(30)) { runtime.storeOutage.isDown }, "the completion failed")
        let key = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("a.md"))
        #expect(try await store.documentState(key)?.status != .indexed)

        try await store.write("lifting the cap") { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        let other = DocumentKey(tenant: key.tenant, docId: try DocumentID("b.md"))
        let indexed = try await eventually(within: .seconds(60), every: .milliseconds(50)) {
            let states = try await store.documentStates([key, other])
            return states.values.filter { $0.status == .indexed }.count == 2
        }
        #expect(indexed, "both documents indexed once the store answers: \(recorder.all.map(\.message))")
        #expect(recorder.messages(containing: "the store does not answer").count == 1, "\(recorder.all.map(\.message))")
        #expect(try await eventually(within: .seconds(10)) { !recorder.messages(containing: "answers again").isEmpty })
    }
}
