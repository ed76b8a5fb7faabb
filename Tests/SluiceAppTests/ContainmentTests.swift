import Foundation
import GRDB
import struct SluiceApp.Configuration
@testable import SluiceApp
import SluiceConnectors
import SluiceCore
@testable import SluiceSQLite
import SluiceTesting
import SluiceWatch
import Testing

/// A tenant's index holds only that tenant's files, whatever the tenant does
/// to its folder between the moment Sluice lists a file and the moment it reads it.
@Suite(.serialized) struct ContainmentTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-containment-files")
        data = try TemporaryDirectory("sluice-containment-data")
    }

    func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.concurrency = 2
        configuration.retryDelay = .milliseconds(10)
        return configuration
    }

    func key(_ tenant: String, _ docId: String) throws -> DocumentKey {
        DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID(docId))
    }

    /// The text hashes of every chunk stored for `tenant`.
    func textHashes(_ runtime: SluiceRuntime, _ tenant: String) async throws -> Set<String> {
        Set(try await runtime.store.storedChunkSignatures(tenant: try TenantID(tenant)).signatures.map(\.textHash))
    }

    /// The reproduction: acme's folder `d` is replaced by a link to
    /// globex's folder (or to one outside the root) after the scan queued
    /// `d/a.md` and before a worker reads it.
    @Test(arguments: ["../globex", "outside"])
    func aFolderSwappedForALinkBetweenScanAndReadIsNeverFollowed(target: String) async throws {
        let outside = try TemporaryDirectory("sluice-containment-outside")
        defer { outside.remove() }
        try files.write("acme/d/a.md", "# Acme\n\nacme's own words about rivers.\n")
        try files.write("globex/a.md", "# Globex\n\nglobex's secret plans for the harbour.\n")
        try outside.write("a.md", "# Outside\n\nwhat no tenant may read.\n")
        let runtime = try SluiceRuntime(configuration: configuration())
        let roots = try TenantRoot.discover(root: files.path, singleTenant: nil).roots
        let scan = try await Reconciler(store: runtime.store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: runtime.clock)
            .reconcile(roots, scanRoot: roots[0].scanRoot)
        #expect(scan.queued == 2)

        try files.remove("acme/d")
        let destination = target == "outside" ? outside.path : target
        try FileManager.default.createSymbolicLink(atPath: files.path + "/acme/d", withDestinationPath: destination)
        try await Runner(runtime: runtime).process(progress: RunProgress(), interval: .seconds(1), onProgress: { _ in })

        let acme = try await textHashes(runtime, "acme")
        let globex = try await textHashes(runtime, "globex")
        let leaked = try ExpectedIndex.signatures(of: outside.path, chunker: runtime.chunker, tenant: "x").map(\.textHash)
        #expect(!globex.isEmpty)
        #expect(acme.isDisjoint(with: globex), "acme's index holds none of globex's chunks")
        #expect(acme.isDisjoint(with: leaked), "nor any chunk of a file outside the root")
        let state = try #require(try await runtime.store.documentState(try key("acme", "d/a.md")))
        #expect(state.status == .skipped)
        let reason = try #require(state.reason)
        #expect(reason.contains("symbolic link") && !reason.contains("globex") && !reason.contains(outside.path),
            "the reason never names the link's target: \(reason)")
    }

    @Test func aLinkInTheTenantFolderIsRecordedAsSkippedWithoutItsTarget() async throws {
        try files.write("globex/secret.md", "# Secret\n\nglobex's numbers.\n")
        try files.write("acme/own.md", "# Own\n\nacme's notes.\n")
        try FileManager.default.createSymbolicLink(
            atPath: files.path + "/acme/borrowed.md", withDestinationPath: files.path + "/globex/secret.md")
        let runtime = try SluiceRuntime(configuration: configuration())
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path))
        #expect(summary.indexed == 2 && summary.skipped == 1)
        let state = try #require(try await runtime.store.documentState(try key("acme", "borrowed.md")))
        #expect(state.status == .skipped && state.reason == DocumentProcessor.symbolicLinkReason)
        #expect(try await textHashes(runtime, "acme").isDisjoint(with: try await textHashes(runtime, "globex")))
    }

    @Test func theDataDirectoryAndItsFilesAreTheOwnersAlone() async throws {
        try files.write("acme/a.md", "# A\n\nwords.\n")
        var configuration = configuration()
        configuration.dataDirectory = data.path + "/new/data"
        let runtime = try SluiceRuntime(configuration: configuration)
        _ = try await Runner(runtime: runtime).run(Runner.Options(root: files.path))
        _ = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
        func mode(_ name: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: configuration.dataDirectory + name)
            return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
        }
        #expect(try mode("") == 0o700)
        let stored = try FileManager.default.contentsOfDirectory(atPath: configuration.dataDirectory)
        #expect(stored.contains("sluice.sqlite") && stored.contains("worker.lock") && stored.contains { $0.hasSuffix("-keys-changed") })
        for name in stored {
            #expect(try mode("/" + name) == 0o600, "\(name)")
        }
    }

    /// What logs, metrics, dead letters and status show of a destination: scheme, host and port only.
    @Test(arguments: [
        ("https://hooks.example.com/services/T0K3N/secret?sig=abc", "https://hooks.example.com:443"),
        ("http://user:password@127.0.0.1:6333/collections", "http://127.0.0.1:6333"),
        ("http://[::1]:8080/v1", "http://[::1]:8080"),
        ("not a url", "(an invalid URL)"),
    ])
    func destinationsAreShownAsSchemeHostAndPort(url: String, shown: String) {
        #expect(Configuration.displayURL(url) == shown)
    }

    /// An extractor that takes far longer than its deadline, as a crafted document could.
    struct SlowExtractor: Extractor {
        let mimeType = "text/x-slow"
        func extract(_ bytes: [UInt8]) throws -> ExtractedText {
            Thread.sleep(forTimeInterval: 3)
            return ExtractedText(text: String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func aDocumentPastItsExtractionDeadlineIsADeadLetterAndTheOthersGoOn() async throws {
        try files.write("acme/stuck.slow", "takes forever")
        for index in 0..<20 { try files.write("globex/doc\(index).md", "# Doc \(index)\n\nwords \(index).\n") }
        var configuration = configuration()
        configuration.extractTimeout = .milliseconds(300)
        configuration.concurrency = 1
        var extractors: [String: any Extractor] = ["md": MarkdownExtractor(), "slow": SlowExtractor()]
        extractors["txt"] = PlainTextExtractor()
        let runtime = try SluiceRuntime(configuration: configuration, extractors: ExtractorRegistry(extractors))
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path))
        #expect(summary.indexed == 20 && summary.failed == 1)
        let letter = try #require(try await runtime.store.deadLetters(tenant: try TenantID("acme")).first)
        #expect(letter.key == (try key("acme", "stuck.slow")))
        #expect(letter.reason.contains("SLUICE_EXTRACT_TIMEOUT_SECONDS"), "\(letter.reason)")
    }

    /// The memory a batch holds while its documents are read goes back when
    /// the batch fails, whatever fails: a store that refuses the completion
    /// (here a trigger, as a full disk or a damaged file would) left it held,
    /// and the workers waited for it forever.
    @Test func memoryHeldForABatchIsGivenBackWhenTheBatchFails() async throws {
        try files.write("acme/a.md", "# A\n\nalpha words 20.\n")
        try files.write("acme/b.md", "# B\n\nbeta words 020.\n")
        let runtime = try SluiceRuntime(configuration: configuration())
        let roots = try TenantRoot.discover(root: files.path, singleTenant: nil).roots
        _ = try await Reconciler(store: runtime.store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: runtime.clock)
            .reconcile(roots, scanRoot: roots[0].scanRoot)
        try await #require(runtime.store as? SQLiteStore).write("refusing completions") { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE DELETE ON queue BEGIN SELECT RAISE(FAIL, 'the disk is full'); END")
        }
        // Room for one document at a time: the second makes the worker complete the first before it reads on.
        let budget = ByteBudget(capacity: 30)
        let worker = try #require(Runner(runtime: runtime).makeWorkers(progress: RunProgress(), budget: budget).first)
        try await Task.sleep(for: runtime.configuration.settleWindow + .milliseconds(20))
        let leases = try await runtime.store.lease(limit: 10, duration: .seconds(30))
        #expect(leases.count == 2)
        await #expect(throws: (any Error).self) { try await worker.process(leases) }
        #expect(budget.bytesInUse == 0, "\(budget.bytesInUse) bytes still held")
    }
}

