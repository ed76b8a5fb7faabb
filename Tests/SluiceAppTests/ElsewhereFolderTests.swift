import Foundation
import struct SluiceApp.Configuration
@testable import SluiceApp
import SluiceCore
import SluiceTesting
import Testing

/// With a shared store a file change can be leased on any host. A worker
/// where the watched folder is not must not tombstone the document (as a
/// missing file in a folder that is there would be): it fails retryably,
/// saying why, and the change waits for a worker that has the folder.
@Suite struct ElsewhereFolderTests {
    func lease(_ root: String, _ path: String) throws -> Lease {
        Lease(
            key: DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("a.md")), token: "t", revision: 1, kind: .upsert,
            origin: .file(FileLocation(scanRoot: root, tenantDirectory: root + "/acme", path: path)), contentHash: nil,
            priority: .normal, expiresAt: Timestamp(milliseconds: 0), attempts: 0, enqueuedAt: Timestamp(milliseconds: 0))
    }

    @Test func aFileOfAFolderThisHostDoesNotHaveIsNotTakenForDeleted() throws {
        let data = try TemporaryDirectory("sluice-elsewhere")
        defer { data.remove() }
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        let runtime = try SluiceRuntime(configuration: configuration)
        let worker = try #require(Runner(runtime: runtime).makeWorkers(progress: RunProgress()).first)
        let processor = worker.processor

        let absent = "/nonexistent-\(UUID().uuidString)"
        let error = #expect(throws: SluiceError.self) { _ = try processor.prepare(try lease(absent, absent + "/acme/a.md"), indexed: nil) }
        #expect(error?.isRetryable == true && error?.message.contains("is not on this host") == true, "\(error?.message ?? "")")

        // The folder is here and the file is not: deleted, as before.
        _ = try data.write("root/acme/other.md", "x")
        let (prepared, file) = try processor.prepare(try lease(data.path + "/root", data.path + "/root/acme/a.md"), indexed: nil)
        guard case .finished(.deleted) = prepared, case .gone = file else {
            Issue.record("expected deleted, got \(prepared)")
            return
        }
    }
}
