import Foundation
import Logging
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `sluice run --watch` in process, on a real folder with real inotify.
/// Each test waits for the index to reach the expected state (with a generous
/// deadline) and then compares it exactly with the files.
@Suite(.serialized) struct WatchTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-watch-files")
        data = try TemporaryDirectory("sluice-watch-data")
    }

    func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.concurrency = 2
        configuration.retryDelay = .milliseconds(10)
        return configuration
    }

    /// Runs a watch session around `body`, then stops it gracefully.
    func watching(
        _ configuration: Configuration? = nil, tenant: String? = nil, logger: Logger = Logger(label: "sluice"),
        _ body: (SluiceRuntime, LiveSession) async throws -> Void
    ) async throws {
        let runtime = try SluiceRuntime(configuration: configuration ?? self.configuration(), logger: logger)
        let session = LiveSession(
            runtime: runtime, watching: Runner.Options(root: files.path, singleTenant: try tenant.map { try TenantID($0) }),
            rescanInterval: nil, handleSignals: false)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await session.run { readyContinuation.yield() } }
            for await _ in ready { break }
            do {
                try await body(runtime, session)
            } catch {
                await session.stop()
                throw error
            }
            await session.stop()
            try await group.waitForAll()
        }
    }

    /// Waits until the stored chunks equal what the files say.
    func converges(_ runtime: SluiceRuntime, tenant: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let chunker = MarkdownChunker(targetSize: runtime.configuration.chunkSize, overlap: runtime.configuration.chunkOverlap)
        var stored = (signatures: Set<ChunkSignature>(), rows: 0)
        var expected = Set<ChunkSignature>()
        let converged = try await eventually(within: .seconds(120), every: .milliseconds(25)) {
            expected = try ExpectedIndex.signatures(of: files.path, chunker: chunker, tenant: tenant)
            stored = try await runtime.store.storedChunkSignatures()
            let pending = try await runtime.store.depth().pending
            return stored.signatures == expected && stored.rows == expected.count && pending == 0
        }
        if converged { return }
        Issue.record(
            "index did not converge: missing \(expected.subtracting(stored.signatures).sorted { $0.description < $1.description }.prefix(5)), orphaned \(stored.signatures.subtracting(expected).sorted { $0.description < $1.description }.prefix(5)), rows \(stored.rows)",
            sourceLocation: sourceLocation)
    }

    func document(_ words: String) -> String { "# \(words)\n\nThis note is about \(words).\n" }

    @Test func createsChangesAndDeletesAreIndexedAsTheyHappen() async throws {
        try files.write("acme/existing.md", document("existing"))
        try await watching { runtime, _ in
            try await converges(runtime)
            try files.write("acme/new.md", document("zebra"))
            try files.write("globex/other.txt", "kangaroo facts")
            try await converges(runtime)
            try files.write("acme/new.md", document("giraffe"))
            try files.remove("acme/existing.md")
            try await converges(runtime)
            let hits = try await runtime.search(tenant: try TenantID("acme"), query: "giraffe", k: 1)
            #expect(hits.first?.docId == "new.md")
        }
    }

    @Test func anAtomicSaveUpdatesTheOriginalInPlace() async throws {
        try files.write("acme/notes.md", document("first version"))
        try await watching { runtime, _ in
            try await converges(runtime)
            let before = try #require(try await runtime.store.documentState(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("notes.md"))))
            // What editors do: write a temporary file, then rename it over the original.
            try files.write("acme/.notes.md.swp", document("second version"))
            #expect(rename(files.path + "/acme/.notes.md.swp", files.path + "/acme/notes.md") == 0)
            try files.write("acme/notes.md.tmp", document("third version"))
            #expect(rename(files.path + "/acme/notes.md.tmp", files.path + "/acme/notes.md") == 0)
            try await converges(runtime)
            let after = try #require(try await runtime.store.documentState(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("notes.md"))))
            #expect(after.status == .indexed && after.revision > before.revision)
            #expect(try await runtime.store.tenantSummaries().first?.indexed == 1)
        }
    }

    @Test func renamesMoveDocumentsAndReuseTheirEmbeddings() async throws {
        let long = (0..<40).map { "Paragraph \($0) about otters and rivers and stones." }.joined(separator: "\n\n")
        try files.write("acme/a/otters.md", long)
        try await watching { runtime, session in
            try await converges(runtime)
            let embeddedBefore = session.progress.snapshot().chunksEmbedded
            try FileManager.default.moveItem(atPath: files.path + "/acme/a/otters.md", toPath: files.path + "/acme/a/renamed.md")
            try FileManager.default.moveItem(atPath: files.path + "/acme/a", toPath: files.path + "/acme/b")
            try await converges(runtime)
            #expect(session.progress.snapshot().chunksEmbedded == embeddedBefore, "moved content is not embedded again")
            let old = try await runtime.store.documentState(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("a/otters.md")))
            #expect(old?.status == .deleted)
        }
    }

    @Test func foldersThatGoAwayOrArriveAreFollowed() async throws {
        let outside = try TemporaryDirectory("sluice-watch-outside")
        defer { outside.remove() }
        try outside.write("incoming/one.md", document("incoming one"))
        try outside.write("incoming/deep/two.md", document("incoming two"))
        try files.write("acme/keep/k.md", document("keep"))
        try files.write("acme/trash/t1.md", document("trash one"))
        try files.write("acme/trash/sub/t2.md", document("trash two"))
        try files.write("acme/leaving/l.md", document("leaving"))
        try await watching { runtime, _ in
            try await converges(runtime)
            try FileManager.default.removeItem(atPath: files.path + "/acme/trash")
            try FileManager.default.moveItem(atPath: files.path + "/acme/leaving", toPath: outside.path + "/left")
            try FileManager.default.moveItem(atPath: outside.path + "/incoming", toPath: files.path + "/acme/incoming")
            try await converges(runtime)
            // A new tenant folder, and nested folders created in a hurry.
            try files.write("newco/a/b/c/d.md", document("deep new tenant"))
            try files.write("acme/x/y/z.md", document("deep acme"))
            try await converges(runtime)
            // Changes in a folder that moved out are no longer followed.
            try outside.write("left/l.md", document("changed outside"))
            try await converges(runtime)
        }
    }

    @Test func vectorsOfReplacedChunksAreCollectedWhileWatching() async throws {
        try files.write("acme/notes.md", document("first version"))
        var configuration = configuration()
        configuration.vectorCollectionInterval = .milliseconds(200)
        try await watching(configuration) { runtime, _ in
            try await converges(runtime)
            var old: [ContentHash] = []
            try await runtime.store.exportChunks(tenant: nil, batchSize: 100) { chunks in
                old += chunks.compactMap { ContentHash(hex: $0.textHash) }
            }
            let model = runtime.embedder.modelKey
            let cached = try await runtime.store.cachedEmbeddings(modelKey: model, textHashes: old)
            #expect(!old.isEmpty && cached == Set(old))
            try files.write("acme/notes.md", document("second version"))
            try await converges(runtime)
            let collected = try await eventually {
                try await runtime.store.cachedEmbeddings(modelKey: model, textHashes: old).isEmpty
            }
            #expect(collected, "the first version's vectors are gone without a restart")
        }
    }

    @Test func aRestartCatchesUpWithWhatChangedMeanwhile() async throws {
        try files.write("acme/a.md", document("alpha"))
        try files.write("acme/b.md", document("beta"))
        try await watching { runtime, _ in try await converges(runtime) }
        try files.remove("acme/a.md")
        try files.write("acme/b.md", document("beta changed while down"))
        try files.write("acme/c.md", document("gamma"))
        try await watching { runtime, _ in try await converges(runtime) }
    }

    @Test func randomOperationsConvergeToTheFiles() async throws {
        var random = SplitMix64(seed: 2026)
        let folders = ["acme", "acme/a", "acme/a/b", "acme/c", "globex", "globex/d/e"]
        for folder in folders { try FileManager.default.createDirectory(atPath: files.path + "/" + folder, withIntermediateDirectories: true) }
        try await watching { runtime, _ in
            var existing: [String] = []
            for step in 0..<400 {
                let roll = random.next() % 10
                if existing.isEmpty || roll < 4 {
                    let path = "\(folders[Int(random.next() % UInt64(folders.count))])/f\(step).md"
                    try files.write(path, document("word\(random.next() % 50) step \(step)"))
                    existing.append(path)
                } else if roll < 7 {
                    let path = existing[Int(random.next() % UInt64(existing.count))]
                    try files.write(path, document("rewrite \(step) word\(random.next() % 50)"))
                } else if roll < 9 {
                    let index = Int(random.next() % UInt64(existing.count))
                    let from = existing[index]
                    let to = "\(folders[Int(random.next() % UInt64(folders.count))])/moved\(step).md"
                    try FileManager.default.moveItem(atPath: files.path + "/" + from, toPath: files.path + "/" + to)
                    existing[index] = to
                } else {
                    let path = existing.remove(at: Int(random.next() % UInt64(existing.count)))
                    try files.remove(path)
                }
                if step % 50 == 0 { try await Task.sleep(for: .milliseconds(Int(random.next() % 30))) }
            }
            try await converges(runtime)
        }
    }

    /// Waits until `key` has a document state that satisfies `condition`.
    func state(
        _ runtime: SluiceRuntime, _ tenant: String, _ docId: String, _ condition: @escaping @Sendable (DocumentState?) -> Bool
    ) async throws -> Bool {
        let key = DocumentKey(tenant: try TenantID(tenant), docId: try DocumentID(docId))
        return try await eventually(within: .seconds(60), every: .milliseconds(25)) {
            condition(try await runtime.store.documentState(key))
        }
    }

    @Test func sluiceignoreAppliesToLiveEventsAsToScans() async throws {
        try files.write("acme/.sluiceignore", "private/\n*.draft.md\n")
        try files.write("acme/seen.md", document("seen"))
        try await watching { runtime, _ in
            #expect(try await state(runtime, "acme", "seen.md") { $0?.status == .indexed })
            try files.write("acme/private/x.md", document("private"))
            try files.write("acme/plan.draft.md", document("draft"))
            try files.write("acme/after.md", document("after"))
            #expect(try await state(runtime, "acme", "after.md") { $0?.status == .indexed })
            #expect(try await eventually(within: .seconds(60), every: .milliseconds(25)) { try await runtime.store.depth().pending == 0 })
            for ignored in ["private/x.md", "plan.draft.md"] {
                let key = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID(ignored))
                #expect(try await runtime.store.documentState(key) == nil, "\(ignored) is ignored while watching")
            }
            // A changed .sluiceignore applies to what is indexed already, and to what it no longer excludes;
            // its rescan covers acme's folder only, and leaves globex's documents as they are.
            try files.write("globex/other.md", document("other"))
            #expect(try await state(runtime, "globex", "other.md") { $0?.status == .indexed })
            try files.write("acme/.sluiceignore", "seen.md\n")
            #expect(try await state(runtime, "acme", "seen.md") { $0?.status == .deleted })
            #expect(try await state(runtime, "acme", "private/x.md") { $0?.status == .indexed })
            #expect(try await state(runtime, "globex", "other.md") { $0?.status == .indexed })
        }
    }

    /// Two spellings of one name (NFC and NFD) while watching are settled as
    /// a scan settles them: the first in byte order is the document, the
    /// collision is a recorded problem, and removing one spelling leaves the
    /// document to the other (before, each event overwrote the document with
    /// whichever spelling it named, and deleting either tombstoned it).
    @Test func twoSpellingsOfOneNameWhileWatchingAreSettledAsByAScan() async throws {
        let composed = "caf\u{E9}.md"  // NFC
        let decomposed = "cafe\u{301}.md"  // NFD: "e" sorts before the composed letter's bytes
        let tenant = try TenantID("acme")
        let key = DocumentKey(tenant: tenant, docId: try DocumentID(composed))
        try files.write("acme/" + composed, document("composed spelling"))
        try await watching { runtime, _ in
            #expect(try await state(runtime, "acme", composed) { $0?.contentHash == ContentHash.of(document("composed spelling")).hex })
            try files.write("acme/" + decomposed, document("decomposed spelling"))
            #expect(try await state(runtime, "acme", composed) { $0?.contentHash == ContentHash.of(document("decomposed spelling")).hex },
                "the first in byte order is the document, as a scan says")
            #expect(try await eventually(within: .seconds(60), every: .milliseconds(25)) {
                try await runtime.store.problems(tenant: tenant).contains { $0.message.contains("one document id") }
            }, "the collision is a recorded problem")
            // An edit of the spelling that is not the document changes nothing.
            try files.write("acme/" + composed, document("composed spelling edited"))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await runtime.store.documentState(key)?.contentHash == ContentHash.of(document("decomposed spelling")).hex)
            // Removing the document's spelling leaves the document to the other one.
            try files.remove("acme/" + decomposed)
            #expect(try await state(runtime, "acme", composed) {
                $0?.status == .indexed && $0?.contentHash == ContentHash.of(document("composed spelling edited")).hex
            }, "not tombstoned: the other spelling is still there")
        }
    }

    /// A folder renamed from a name that is not watched (hidden, as a tool's
    /// staging folder; or one the initial watch walk missed because it was
    /// renamed while being walked) into a watched name is watched at its new
    /// place: files created in it afterwards are indexed as they come. Before,
    /// the rename only re-labelled watches the old name had, so it had none
    /// (the chaos bench lost a delete this way).
    @Test func aFolderRenamedFromAnUnwatchedNameIsWatched() async throws {
        try files.write("acme/start.md", document("start"))
        try files.write("acme/.staging/first.md", document("first"))
        try await watching { runtime, _ in
            try await converges(runtime)
            #expect(rename(files.path + "/acme/.staging", files.path + "/acme/incoming") == 0)
            #expect(try await state(runtime, "acme", "incoming/first.md") { $0?.status == .indexed })
            try files.write("acme/incoming/later.md", document("later"))
            try files.remove("acme/incoming/first.md")
            try await converges(runtime)
        }
    }

    /// A folder moved away and another made at its name at once (`mv docs
    /// old && mkdir docs`): the new folder keeps its watch. The watch table
    /// is keyed by path, so forgetting the old folder's watches by name used
    /// to remove the new folder's too, and later files in it were missed.
    @Test func aFolderMadeAtTheNameOfOneMovedAwayKeepsItsWatch() async throws {
        let outside = try TemporaryDirectory("sluice-watch-elsewhere")
        defer { outside.remove() }
        try files.write("acme/docs/old.md", document("old"))
        try await watching { runtime, _ in
            try await converges(runtime)
            for round in 0..<3 {
                #expect(rename(files.path + "/acme/docs", outside.path + "/docs\(round)") == 0)
                try files.write("acme/docs/new\(round).md", document("new \(round)"))
                try await Task.sleep(for: .milliseconds(300))
                try files.write("acme/docs/later\(round).md", document("later \(round)"))
                try await converges(runtime)
            }
        }
    }

    @Test func aFolderSwappedForALinkWhileWatchedIsNeverFollowed() async throws {
        try files.write("globex/secret.md", document("globex secret harbour plans"))
        try files.write("acme/start.md", document("start"))
        try await watching { runtime, _ in
            try await converges(runtime)
            for round in 0..<5 {
                try files.write("acme/d\(round)/a.md", document("acme round \(round)"))
                try files.remove("acme/d\(round)")
                try FileManager.default.createSymbolicLink(atPath: files.path + "/acme/d\(round)", withDestinationPath: "../globex")
            }
            try files.write("acme/end.md", document("end"))
            try await converges(runtime)
            let acme = Set(try await runtime.store.storedChunkSignatures(tenant: try TenantID("acme")).signatures.map(\.textHash))
            let globex = Set(try await runtime.store.storedChunkSignatures(tenant: try TenantID("globex")).signatures.map(\.textHash))
            #expect(!globex.isEmpty && acme.isDisjoint(with: globex), "acme's index holds none of globex's chunks")
        }
    }

    @Test func aFolderWithBadNamesMovedInStopsNothing() async throws {
        let outside = try TemporaryDirectory("sluice-watch-outside")
        defer { outside.remove() }
        let deep = (0..<6).map { String(repeating: "x\($0)", count: 100) }.joined(separator: "/")
        try outside.write("incoming/\(deep)/too-deep.md", document("too deep"))
        try outside.write("incoming/bad\u{85}name.md", document("c1"))
        try outside.write("incoming/fine.md", document("fine"))
        try files.write("acme/start.md", document("start"))
        try await watching { runtime, _ in
            #expect(try await state(runtime, "acme", "start.md") { $0?.status == .indexed })
            try FileManager.default.moveItem(atPath: outside.path + "/incoming", toPath: files.path + "/acme/incoming")
            #expect(try await state(runtime, "acme", "incoming/fine.md") { $0?.status == .indexed })
            try files.write("globex/after.md", document("after"))
            #expect(try await state(runtime, "globex", "after.md") { $0?.status == .indexed }, "the intake goes on for everyone")
        }
    }

    /// A tenant with more folders than it may have watched
    /// (SLUICE_TENANT_MAX_WATCHED_FOLDERS): the files in its unwatched folders
    /// are found by rescans of its folder alone, and another tenant's new
    /// folders are watched and indexed as they change.
    @Test func aTenantPastItsWatchBudgetIsRescannedAndTheOthersStayLive() async throws {
        for index in 0..<12 { try files.write("hog/f\(index)/a.md", document("hog \(index)")) }
        try files.write("quiet/start.md", document("start"))
        var configuration = configuration()
        configuration.tenantMaxWatchedFolders = 5
        configuration.unwatchedRescanInterval = .milliseconds(500)
        let log = LogRecorder()
        try await watching(configuration, logger: log.logger()) { runtime, _ in
            try await converges(runtime)
            #expect(log.messages(containing: "SLUICE_TENANT_MAX_WATCHED_FOLDERS").count == 1, "\(log.all.map(\.message))")
            #expect(log.messages(containing: "rescanning tenant hog").count == 1)
            // Every folder of the tenant, watched or not: those past the budget by its rescans.
            for index in 0..<12 { try files.write("hog/f\(index)/b.md", document("later \(index)")) }
            try files.write("quiet/new/b.md", document("new"))
            try await converges(runtime)
        }
    }
}
