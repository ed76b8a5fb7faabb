import Foundation
import struct SluiceApp.Configuration
@testable import SluiceApp
import SluiceCore
import SluiceTesting
import SluiceWatch
import Testing

/// The scan reads only files that may have changed: a file neither recorded
/// nor queued is queued unread (its worker reads and hashes it, and records
/// its state), a recorded one is compared by its status and, if that
/// differs, by its hash, and a queued one is hashed.
@Suite struct ReconcilerTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-reconciler-files")
        data = try TemporaryDirectory("sluice-reconciler-data")
    }

    @Test func aNewFileIsQueuedUnreadAndRecordedByItsWorker() async throws {
        try files.write("acme/a.md", "# A\n\nabout rivers.\n")
        try files.write("acme/b.md", "# B\n\nabout harbours.\n")
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        let runtime = try SluiceRuntime(configuration: configuration)
        let roots = try TenantRoot.discover(root: files.path, singleTenant: nil).roots
        let scanRoot = roots[0].scanRoot
        let reconciler = Reconciler(store: runtime.store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: runtime.clock)

        #expect(try await reconciler.reconcile(roots, scanRoot: scanRoot).queued == 2)
        var recorded = try await runtime.store.recordedFiles(root: scanRoot)
        #expect(recorded.states.isEmpty, "read by no one yet, so not recorded")
        #expect(recorded.queued.count == 2)
        // Scanned again while queued: read this time, so that the same version keeps its queue row's
        // lease expiries (CrashSafetyTests), and recorded.
        #expect(try await reconciler.reconcile(roots, scanRoot: scanRoot).queued == 2)
        recorded = try await runtime.store.recordedFiles(root: scanRoot)
        #expect(recorded.states.count == 2 && recorded.queued.isEmpty)

        try await Runner(runtime: runtime).process(progress: RunProgress(), interval: .seconds(1), onProgress: { _ in })
        recorded = try await runtime.store.recordedFiles(root: scanRoot)
        #expect(recorded.states.count == 2)
        let hashes: Set<ContentHash> = Set(recorded.states.values.map(\.contentHash))
        let contents: Set<ContentHash> = [ContentHash.of("# A\n\nabout rivers.\n"), ContentHash.of("# B\n\nabout harbours.\n")]
        #expect(hashes == contents, "the worker recorded what it read")

        let again = try await reconciler.reconcile(roots, scanRoot: scanRoot)
        #expect(again.queued == 0 && again.unchanged == 2)
        try files.write("acme/b.md", "# B\n\nabout harbours, and ships.\n")
        let changed = try await reconciler.reconcile(roots, scanRoot: scanRoot)
        #expect(changed.queued == 1 && changed.unchanged == 1)
    }
}
