import Foundation
import struct SluiceApp.Configuration
@testable import SluiceApp
import SluiceCore
import SluiceTesting
import SluiceWatch
import Testing

/// `sluice run` indexes what its scan queues while the scan goes on, and its
/// workers do not end while the scan may still queue work.
@Suite struct ScanOverlapTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-overlap-files")
        data = try TemporaryDirectory("sluice-overlap-data")
    }

    func state(_ runtime: SluiceRuntime, _ tenant: String, _ docId: String) async throws -> DocumentState.Status? {
        try await runtime.store.documentState(DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID(docId)))?.status
    }

    @Test func workersIndexWhatTheScanQueuedBeforeItEndsAndWaitForTheRest() async throws {
        try files.write("acme/a.md", "# Acme\n\nfirst tenant, scanned first.\n")
        try files.write("globex/b.md", "# Globex\n\nsecond tenant, scanned after a pause.\n")
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.concurrency = 2
        let runtime = try SluiceRuntime(configuration: configuration)
        let roots = try TenantRoot.discover(root: files.path, singleTenant: nil).roots
        let reconciler = Reconciler(store: runtime.store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: runtime.clock)
        let scanRoot = roots[0].scanRoot

        let indexedWhileScanning = try await Runner(runtime: runtime).process(
            progress: RunProgress(), interval: .seconds(1), onProgress: { _ in }
        ) {
            // The scan's first part queues acme's file: a worker indexes it before the scan ends.
            _ = try await reconciler.reconcile(roots.filter { $0.tenant.rawValue == "acme" }, scanRoot: scanRoot, tenantsOnly: true)
            let indexed = try await eventually(within: .seconds(30)) { try await state(runtime, "acme", "a.md") == .indexed }
            // Nothing is pending now, but the scan is not over: the workers wait for what it queues next.
            try await Task.sleep(for: .milliseconds(300))
            _ = try await reconciler.reconcile(roots.filter { $0.tenant.rawValue == "globex" }, scanRoot: scanRoot, tenantsOnly: true)
            return indexed
        }
        #expect(indexedWhileScanning, "acme's file was indexed while the scan went on")
        #expect(try await state(runtime, "globex", "b.md") == .indexed, "what the scan queued last was indexed before the workers ended")
    }
}
