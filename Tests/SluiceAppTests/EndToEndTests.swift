import Foundation
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `sluice run` in process, on real files and a real SQLite file: the index
/// must equal what the files say, chunk for chunk.
@Suite struct EndToEndTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-e2e-files")
        data = try TemporaryDirectory("sluice-e2e-data")
    }

    func configuration(_ adjust: (inout Configuration) -> Void = { _ in }) -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.concurrency = 3
        configuration.batchSize = 7
        configuration.retryDelay = .milliseconds(1)
        configuration.maxRetries = 2
        adjust(&configuration)
        return configuration
    }

    func run(
        _ configuration: Configuration, root: String? = nil, tenant: String? = nil, embedder: (any Embedder)? = nil
    ) async throws -> (RunSummary, SluiceRuntime) {
        let runtime = try SluiceRuntime(configuration: configuration, embedder: embedder)
        let summary = try await Runner(runtime: runtime).run(
            Runner.Options(root: root ?? files.path, singleTenant: try tenant.map { try TenantID($0) }))
        return (summary, runtime)
    }

    /// What the index should hold, computed from the files with the same extractors and chunker.
    func expected(_ configuration: Configuration, root: String? = nil, tenant: String? = nil) throws -> Set<ChunkSignature> {
        try ExpectedIndex.signatures(
            of: root ?? files.path,
            chunker: MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap), tenant: tenant)
    }

    func expectIndexEqualsFiles(_ runtime: SluiceRuntime, _ configuration: Configuration, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let stored = try await runtime.store.storedChunkSignatures()
        let expected = try expected(configuration)
        #expect(stored.rows == stored.signatures.count, "no duplicate chunks", sourceLocation: sourceLocation)
        #expect(stored.signatures.subtracting(expected).isEmpty, "orphans: \(stored.signatures.subtracting(expected).sorted { $0.description < $1.description }.prefix(5))", sourceLocation: sourceLocation)
        #expect(expected.subtracting(stored.signatures).isEmpty, "missing: \(expected.subtracting(stored.signatures).sorted { $0.description < $1.description }.prefix(5))", sourceLocation: sourceLocation)
    }

    func paragraphDocument(_ seed: Int, paragraphs: Int = 6) -> String {
        var text = "# Document \(seed)\n\n"
        for index in 0..<paragraphs {
            text += "## Part \(index)\n\n" + (0..<60).map { "term\(seed)-\(index)-\($0)" }.joined(separator: " ") + ".\n\n"
        }
        return text
    }

    @Test func onboardModifyDeleteAddConvergesToTheFiles() async throws {
        for index in 0..<30 {
            try files.write("acme/docs/doc\(index).md", paragraphDocument(index))
            try files.write("globex/notes/note\(index).txt", paragraphDocument(100 + index, paragraphs: 2))
        }
        try files.write("globex/page.html", "<html><body><h1>Pricing</h1><p>Plans start at 19 euros.</p></body></html>")
        let configuration = configuration()
        let (first, runtime) = try await run(configuration)
        #expect(first.indexed == 61 && first.failed == 0 && first.exitCode == 0)
        try await expectIndexEqualsFiles(runtime, configuration)

        // Modify (append a section), delete, add, and rewrite one file with the same size.
        for index in 0..<5 { try files.write("acme/docs/doc\(index).md", paragraphDocument(index) + "## Added\n\nNew closing words.\n") }
        for index in 5..<10 { try files.remove("acme/docs/doc\(index).md") }
        try files.remove("globex/notes")
        try files.write("acme/new/fresh.md", paragraphDocument(999))
        let sameSize = paragraphDocument(20).replacingOccurrences(of: "term20-0-1 ", with: "TERM20-0-1 ")
        try files.write("acme/docs/doc20.md", sameSize)
        let (second, runtime2) = try await run(configuration)
        #expect(second.indexed == 7, "5 modified, 1 added, 1 rewritten in place")
        #expect(second.deleted == 35, "5 files and a folder of 30")
        #expect(second.chunksReused > 0 && second.chunksEmbedded < second.chunksReused, "only changed chunk texts are embedded")
        try await expectIndexEqualsFiles(runtime2, configuration)
        let deleted = try #require(try await runtime2.store.documentState(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("docs/doc5.md"))))
        #expect(deleted.status == .deleted && deleted.chunkCount == 0)
        #expect(try await runtime2.store.collectUnusedEmbeddings() == 0, "the run collected the vectors its changes left unused")
    }

    @Test func aSecondRunOverUnchangedFilesEmbedsNothing() async throws {
        for index in 0..<20 { try files.write("acme/doc\(index).md", paragraphDocument(index)) }
        let configuration = configuration()
        _ = try await run(configuration)
        let (again, _) = try await run(configuration)
        #expect(again.chunksEmbedded == 0 && again.indexed == 0 && again.unchanged == 20)
        // Touching a file without changing it reads it, but embeds nothing.
        let path = files.path + "/acme/doc3.md"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: path)
        let (touched, _) = try await run(configuration)
        #expect(touched.chunksEmbedded == 0 && touched.unchanged == 20)
    }

    @Test func badFilesAreSkippedWithReasonsAndStopNothing() async throws {
        try files.write("acme/good.md", "# Good\n\nFine text.")
        try files.write("acme/binary.txt", Data([0x41, 0x00, 0x42]))
        try files.write("acme/latin1.txt", Data([0x63, 0x61, 0x66, 0xE9]))
        try files.write("acme/broken.json", "{\"a\": ")
        try files.write("acme/image.png", Data([0x89, 0x50, 0x4E, 0x47]))
        try files.write("acme/huge.md", String(repeating: "big ", count: 1000))
        try files.write("acme/long.txt", String(repeating: "long ", count: 360))
        let configuration = configuration { $0.maxFileBytes = 2000; $0.maxTextBytes = 1500 }
        let (summary, runtime) = try await run(configuration)
        #expect(summary.indexed == 1 && summary.skipped == 6 && summary.failed == 0 && summary.exitCode == 0)
        let skipped = try await runtime.store.documents(tenant: try TenantID("acme"), status: .skipped)
        let reasons = Dictionary(uniqueKeysWithValues: skipped.map { ($0.key.docId.rawValue, $0.reason ?? "") })
        #expect(reasons["binary.txt"]?.contains("binary content") == true)
        #expect(reasons["latin1.txt"]?.contains("not valid UTF-8") == true)
        #expect(reasons["broken.json"]?.contains("invalid JSON") == true)
        #expect(reasons["image.png"]?.contains("unsupported file type .png") == true)
        #expect(reasons["huge.md"]?.contains("SLUICE_MAX_FILE_BYTES") == true)
        #expect(reasons["long.txt"]?.contains("SLUICE_MAX_TEXT_BYTES") == true)
        // Fixing a file indexes it on the next run.
        try files.write("acme/latin1.txt", "café")
        let (fixed, _) = try await run(configuration)
        #expect(fixed.indexed == 1)
    }

    /// Files an older Sluice skipped as of an unsupported type are read by
    /// the first run of a version that supports it; nothing else is read again.
    @Test func filesOfANewlySupportedTypeAreQueuedAndNothingElse() async throws {
        try files.write("acme/notes.md", "# Notes\n\nSome text.")
        try files.write("acme/image.png", Data([0x89, 0x50, 0x4E, 0x47]))
        try await FormatFixtures.make(["pdf-report"], in: files.path + "/acme")
        let configuration = configuration()
        // The older version: no PDF extractor.
        let older = try SluiceRuntime(configuration: configuration, extractors: ExtractorRegistry(["md": MarkdownExtractor()]))
        let before = try await Runner(runtime: older).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(before.indexed == 1 && before.skipped == 2)

        let (after, runtime) = try await run(configuration)
        #expect(after.indexed == 1 && after.skipped == 0 && after.unchanged == 3, "\(after)")
        let acme = try TenantID("acme")
        let report = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("report.pdf")))
        #expect(report?.status == .indexed && report?.title == "Quarterly Report & Outlook")
        let notes = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("notes.md")))
        #expect(notes?.processings == 1, "not read again")
        let image = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("image.png")))
        #expect(image?.status == .skipped && image?.processings == 1, "still unsupported: not queued")
        // And only once: the next run finds nothing to do.
        let (again, _) = try await run(configuration)
        #expect(again.indexed == 0 && again.skipped == 0)
        // A version that reads .png too (as text, here): only the image is queued, once.
        let newer = ExtractorRegistry(["md": MarkdownExtractor(), "pdf": PDFExtractor(), "png": PlainTextExtractor()])
        for round in 1...2 {
            let runtime = try SluiceRuntime(configuration: configuration, extractors: newer)
            _ = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
            let image = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("image.png")))
            #expect(image?.processings == 2 && image?.reason?.contains("not valid UTF-8") == true, "round \(round): \(String(describing: image))")
            let notes = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("notes.md")))
            #expect(notes?.processings == 1)
        }
    }

    /// A tenant at its quota (SLUICE_TENANT_MAX_CHUNKS) gets its further
    /// documents skipped with the reason, and another tenant nothing of it;
    /// once the limit is lifted, the next start reads those files again.
    @Test func aTenantPastItsQuotaHasDocumentsSkippedAndNoOtherTenant() async throws {
        // 8 documents of 6 chunks for acme, 3 for globex: the limit of 20 holds back only acme.
        for seed in 0..<8 { try files.write("acme/doc\(seed).md", paragraphDocument(seed)) }
        for seed in 0..<3 { try files.write("globex/doc\(seed).md", paragraphDocument(seed)) }
        // One worker and one batch: each document is checked against what the ones before it took.
        let limited = configuration { $0.tenantMaxChunks = 20; $0.concurrency = 1; $0.batchSize = 50 }
        let (summary, runtime) = try await run(limited)
        #expect(summary.failed == 0 && summary.exitCode == 0)
        let (acme, globex) = (try TenantID("acme"), try TenantID("globex"))
        let indexed = try await runtime.store.documents(tenant: acme, status: .indexed)
        let skipped = try await runtime.store.documents(tenant: acme, status: .skipped)
        let held = indexed.map(\.chunkCount).reduce(0, +)
        #expect(!indexed.isEmpty && !skipped.isEmpty && indexed.count + skipped.count == 8, "\(indexed.count) indexed, \(skipped.count) skipped")
        #expect(held <= 20 && held + indexed[0].chunkCount > 20, "as many as fit: \(held) chunks")
        #expect(try await runtime.store.chunkCounts([acme, globex]) == [acme: held, globex: try await runtime.store.tenantSummary(globex).chunks])
        for document in skipped {
            #expect(document.reason?.hasPrefix(TenantQuota.reasonPrefix) == true && document.reason?.contains("SLUICE_TENANT_MAX_CHUNKS") == true, "\(document.reason ?? "")")
        }
        #expect(try await storedChunks(runtime, tenant: acme) == held)
        // The other tenant's count is its own: every document of it is in.
        #expect(try await runtime.store.documents(tenant: globex, status: .indexed).count == 3)

        // Still limited: a start reads the skipped files again, and they are skipped again.
        let (again, _) = try await run(limited)
        #expect(again.indexed == 0 && again.skipped == skipped.count, "\(again)")
        // Lifted: the next start reads them again and they fit; the one after it reads nothing.
        let (lifted, liftedRuntime) = try await run(configuration())
        #expect(lifted.indexed == skipped.count && lifted.skipped == 0, "\(lifted)")
        try await expectIndexEqualsFiles(liftedRuntime, configuration())
        let (after, _) = try await run(configuration())
        #expect(after.indexed == 0 && after.skipped == 0, "\(after)")
    }

    func storedChunks(_ runtime: SluiceRuntime, tenant: TenantID) async throws -> Int {
        var count = 0
        try await runtime.store.exportChunks(tenant: tenant, batchSize: 100) { count += $0.count }
        return count
    }

    /// What an extractor leaves out (images without text) is said in the
    /// document's state, not as an error.
    @Test func imagesLeftOutAreNotedOnTheIndexedDocument() async throws {
        try await FormatFixtures.make(["pptx-deck"], in: files.path + "/acme")
        try files.write("acme/notes.md", "# Notes\n\nSome text.")
        let (summary, runtime) = try await run(configuration())
        #expect(summary.indexed == 2 && summary.failed == 0)
        let acme = try TenantID("acme")
        let deck = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("review.pptx")))
        #expect(deck?.status == .indexed && deck?.notes == ["1 image without text left out"], "\(String(describing: deck))")
        let notes = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("notes.md")))
        #expect(notes?.notes == [])
    }

    /// A version whose HTML extractor makes other text of the same bytes reads
    /// the HTML documents again, files and published ones, and nothing else.
    @Test func aNewExtractorVersionRereadsOnlyTheDocumentsItRead() async throws {
        try files.write("acme/notes.md", "# Notes\n\nSome text.")
        try files.write("acme/page.html", "<html><body><h1>Pricing</h1><p>Plans start at 19 euros.</p></body></html>")
        let configuration = configuration()
        let (first, _) = try await run(configuration)
        #expect(first.indexed == 2)
        let (again, _) = try await run(configuration)
        #expect(again.indexed == 0, "nothing to do at the same versions: \(again)")

        var extractors: [String: any Extractor] = ["md": MarkdownExtractor(), "html": Revised(HTMLExtractor())]
        extractors["htm"] = extractors["html"]
        let newer = try SluiceRuntime(configuration: configuration, extractors: ExtractorRegistry(extractors))
        let revised = try await Runner(runtime: newer).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(revised.indexed == 1, "only page.html is read again: \(revised)")
        let acme = try TenantID("acme")
        let page = try await newer.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("page.html")))
        #expect(page?.processings == 2 && page?.settingsFingerprint.hasSuffix("|text/html@2") == true, "\(String(describing: page))")
        let notes = try await newer.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("notes.md")))
        #expect(notes?.processings == 1)
        let once = try await Runner(runtime: try SluiceRuntime(configuration: configuration, extractors: ExtractorRegistry(extractors)))
            .run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(once.indexed == 0, "and only once")
    }

    /// A text file over SLUICE_MAX_TEXT_BYTES is skipped unread; a PDF of
    /// that size is read, since its text is what the cap is about.
    @Test func theTextCapHoldsTextFilesByTheirSizeAndConvertersByTheirText() async throws {
        try await FormatFixtures.make(["pdf-report"], in: files.path + "/acme")
        let pdfSize = try FileManager.default.attributesOfItem(atPath: files.path + "/acme/report.pdf")[.size] as? Int ?? 0
        try files.write("acme/long.txt", String(repeating: "word ", count: pdfSize / 5 + 10))
        let configuration = configuration { $0.maxTextBytes = pdfSize - 1 }
        let (summary, runtime) = try await run(configuration)
        #expect(summary.indexed == 1 && summary.skipped == 1, "\(summary)")
        let acme = try TenantID("acme")
        let long = try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("long.txt")))
        #expect(long?.reason?.contains("SLUICE_MAX_TEXT_BYTES") == true)
        #expect(try await runtime.store.documentState(DocumentKey(tenant: acme, docId: try DocumentID("report.pdf")))?.status == .indexed)
    }

    @Test func aFailingEmbedderEndsInDeadLettersWithTheReason() async throws {
        for index in 0..<4 { try files.write("acme/doc\(index).md", "# Doc \(index)\n\ntext \(index)") }
        let configuration = configuration()
        let (summary, runtime) = try await run(configuration, embedder: FailingEmbedder())
        #expect(summary.failed == 4 && summary.exitCode == 1)
        let letters = try await runtime.store.deadLetters(tenant: nil)
        #expect(letters.count == 4 && letters.allSatisfy { $0.reason.contains("embedding service unavailable") && $0.attempts == 2 })
        #expect(try await runtime.store.storedChunkSignatures().rows == 0)
        // Retried with a working embedder, they are indexed.
        try await runtime.store.retryDeadLetters(tenant: nil)
        let (recovered, runtime2) = try await run(configuration)
        #expect(recovered.indexed == 4 && recovered.failed == 0)
        try await expectIndexEqualsFiles(runtime2, configuration)
    }

    @Test func changedChunkSettingsReindexEverything() async throws {
        for index in 0..<6 { try files.write("acme/doc\(index).md", paragraphDocument(index)) }
        _ = try await run(configuration())
        let smaller = configuration { $0.chunkSize = 400; $0.chunkOverlap = 40 }
        let (summary, runtime) = try await run(smaller)
        #expect(summary.reindexedForSettings == 6 && summary.indexed == 6)
        try await expectIndexEqualsFiles(runtime, smaller)
    }

    @Test func onlyOneProcessRunsWorkersOnADataDirectory() async throws {
        try files.write("acme/a.md", "a")
        let configuration = configuration()
        let lock = try WorkerLock(dataDirectory: configuration.absoluteDataDirectory)
        defer { lock.release() }
        await #expect {
            _ = try await run(configuration)
        } throws: { error in
            (error as? SluiceError)?.code == .locked && "\(error)".contains("already running workers")
        }
    }

    @Test func refusesADataDirectoryInsideTheRoot() async throws {
        try files.write("acme/a.md", "a")
        let configuration = configuration { $0.dataDirectory = files.path + "/acme/.sluice" }
        await #expect {
            _ = try await run(configuration)
        } throws: { error in
            (error as? SluiceError)?.code == .configuration && "\(error)".contains("inside")
        }
    }

    @Test func vanishedFilesAreTombstonedOnlyUnderTheirOwnRoot() async throws {
        try files.write("first/a.md", "# A\n\nalpha")
        try files.write("second/b.md", "# B\n\nbeta")
        let configuration = configuration()
        _ = try await run(configuration, root: files.path + "/first", tenant: "acme")
        let (second, runtime) = try await run(configuration, root: files.path + "/second", tenant: "acme")
        #expect(second.deleted == 0, "a.md came from another root and is not tombstoned")
        let docs = try await runtime.store.documents(tenant: try TenantID("acme"), status: .indexed).map(\.key.docId.rawValue)
        #expect(docs == ["a.md", "b.md"])
    }

    @Test func searchFindsTheDocumentThatAnswers() async throws {
        try files.write("acme/vacation.md", "# Vacation\n\nEveryone gets 30 days of paid vacation per year.")
        try files.write("acme/deploys.md", "# Deploys\n\nDeploys run from the main branch after a green build.")
        try files.write("globex/vacation.md", "# Vacation\n\nGlobex staff get vacation days too.")
        let (_, runtime) = try await run(configuration())
        let hits = try await runtime.search(tenant: try TenantID("acme"), query: "how many vacation days", k: 5)
        #expect(hits.first?.docId == "vacation.md")
        #expect(hits.first?.location == ChunkLocation(headingPath: ["Vacation"]), "the embedded index keeps each chunk's headings")
        #expect(hits.allSatisfy { $0.tenant == "acme" })
    }
}

/// A later version of an extractor: the same type, one version up.
struct Revised: Extractor {
    let base: any Extractor
    init(_ base: any Extractor) { self.base = base }
    var mimeType: String { base.mimeType }
    var version: Int { base.version + 1 }
    func extract(_ bytes: [UInt8]) throws -> ExtractedText { try base.extract(bytes) }
}

/// An embedder whose service is down: the test double for a paid external API.
struct FailingEmbedder: Embedder {
    var identity: String { "hashing-v1" }
    var dimension: Int { 384 }
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw SluiceError(.embedding, "embedding service unavailable (HTTP 503)", isRetryable: true)
    }
}
