import Foundation
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `--sink qdrant` against the Qdrant test server (qdrant-client's models
/// validate every request; its local mode applies them), healthy and under
/// injected faults. The point ids in the collection must always end up
/// exactly those the files call for.
@Suite(.serialized, .timeLimit(.minutes(3))) struct QdrantSinkTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory
    let server: QdrantTestServer

    init() throws {
        files = try TemporaryDirectory("sluice-qdrant-files")
        data = try TemporaryDirectory("sluice-qdrant-data")
        server = try QdrantTestServer(apiKey: "qdrant-secret")
    }

    func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.sink = .qdrant
        configuration.qdrantURL = server.url
        configuration.qdrantCollection = "sluice"
        configuration.qdrantAPIKey = "qdrant-secret"
        configuration.sinkBatchPoints = 64
        configuration.embeddingDimension = 32
        configuration.chunkSize = 200
        configuration.chunkOverlap = 20
        configuration.retryDelay = .milliseconds(20)
        configuration.concurrency = 2
        configuration.batchSize = 10
        configuration.remoteTimeout = .seconds(2)
        return configuration
    }

    func run(_ configuration: Configuration) async throws -> (RunSummary, SluiceRuntime) {
        let runtime = try SluiceRuntime(configuration: configuration)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        return (summary, runtime)
    }

    /// The point ids the files call for: one per chunk, UUIDv5 of tenant, docId and ordinal.
    func expectedPointIDs(_ configuration: Configuration) throws -> Set<String> {
        try ExpectedIndex.pointIDs(of: files.path, chunker: MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap))
    }

    func writeCorpus(tenants: [String], filesPerTenant: Int) throws {
        for tenant in tenants {
            for index in 0..<filesPerTenant {
                _ = try files.write("\(tenant)/doc\(index).md", "# Doc \(index)\n\nabout item\(index) of \(tenant) and more text \(index)")
            }
        }
    }

    func expectNoInvalidRequests() async throws {
        let invalid = try await server.stats().invalid
        #expect(invalid.isEmpty, "qdrant-client's models rejected: \(invalid.prefix(3))")
    }

    /// The stand-in refuses what real Qdrant relies on, so a Sluice that dropped
    /// any of it would fail the tests (each ends with `expectNoInvalidRequests`).
    /// Headings, pages, slides and sheets travel in the payload (checked against
    /// docs/schemas/qdrant-point.v2.json by the test server) and come back in search results.
    @Test func chunkLocationsReachThePayloadAndComeBackInSearch() async throws {
        try await FormatFixtures.make(["pdf-report", "pptx-deck", "xlsx-book"], in: files.path + "/acme")
        _ = try files.write("acme/handbook.md", "# Handbook\n\n## Leave\n\nThirty days of vacation.")
        let (summary, runtime) = try await run(configuration())
        #expect(summary.indexed == 4 && summary.failed == 0, "\(summary)")
        try await expectNoInvalidRequests()
        func top(_ query: String) async throws -> SearchHit? {
            try await runtime.search(tenant: try TenantID("acme"), query: query, k: 1).first
        }
        #expect(try await top("thirty days of vacation")?.location == ChunkLocation(headingPath: ["Handbook"]), "the headings above the chunk's start")
        #expect(try await top("MARKER-PPTX-3 North")?.location == ChunkLocation(headingPath: ["Regions"], places: [ChunkPlace(.slide, "2"), ChunkPlace(.slide, "3")]),
            "two short slides share a chunk")
        #expect(try await top("MARKER-XLSX-4 on the second sheet")?.location == ChunkLocation(headingPath: ["Notes"], places: [ChunkPlace(.sheet, "Notes")]))
        #expect(try await top("MARKER-PDF-4 the outlook")?.location == ChunkLocation(places: [ChunkPlace(.page, "4")]))
    }

    @Test func theTestServerRefusesWhatQdrantWould() async throws {
        let base = URL(string: server.url)!
        let point = #"{"points": [{"id": 18446744073709551616, "vector": [0.5, 0.5], "payload": {}}]}"#
        let withoutKey = try await call(base, "GET", "/collections/sluice")
        #expect(withoutKey.status == 401)
        let key = ["api-key": "qdrant-secret"]
        _ = try await call(base, "PUT", "/collections/c", body: ["vectors": ["size": 2, "distance": "Cosine"]], headers: key)
        _ = try await call(base, "PUT", "/collections/c/points", raw: Data(point.utf8), headers: key)
        let invalid = try await server.stats().invalid
        #expect(invalid.count == 3, "\(invalid)")
        #expect(invalid.contains { $0.contains("api-key") })
        #expect(invalid.contains { $0.contains("wait=true") })
        #expect(invalid.contains { $0.contains("u64") })
    }

    @Test func writesSearchesShortensAndDeletes() async throws {
        try writeCorpus(tenants: ["acme", "globex"], filesPerTenant: 10)
        let long = (0..<20).map { "Paragraph \($0) of the long document, with enough words to fill a chunk of its own here." }
        _ = try files.write("acme/long.md", long.joined(separator: "\n\n"))
        _ = try files.write("acme/photo.png", "\u{89}PNG not text")
        let configuration = configuration()
        let (summary, runtime) = try await run(configuration)
        #expect(summary.indexed == 21 && summary.skipped == 1 && summary.failed == 0, "\(summary)")
        let deletes = try await server.stats().answered.filter { $0.path.hasSuffix("/points/delete") }
        #expect(deletes.isEmpty, "a first onboarding, unsupported files included, removes nothing")
        let expected = try expectedPointIDs(configuration)
        #expect(expected.count > 25, "the long document spans several chunks")
        #expect(try await server.pointIDs() == expected)

        let hits = try await runtime.search(tenant: try TenantID("acme"), query: "item7", k: 3)
        #expect(hits.first?.docId == "doc7.md", "\(hits)")
        #expect(hits.allSatisfy { $0.tenant == "acme" })

        // A shorter version leaves no stale points; a deleted file leaves none at all.
        _ = try files.write("acme/long.md", "Now one short paragraph.")
        try FileManager.default.removeItem(atPath: files.path + "/globex/doc3.md")
        let (second, _) = try await run(configuration)
        #expect(second.indexed == 1 && second.deleted == 1, "\(second)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))

        let report = try await SinkAudit(store: runtime.store, sink: runtime.sink).run(tenant: nil, repair: false)
        #expect(report.isClean && report.foundPoints == report.expectedPoints, "\(report)")
        try await expectNoInvalidRequests()
    }

    @Test func verifyFindsDriftAndRepairFixesIt() async throws {
        try writeCorpus(tenants: ["acme"], filesPerTenant: 6)
        let configuration = configuration()
        let (_, runtime) = try await run(configuration)
        let sink = try #require(runtime.sink as? QdrantSink)
        let doc1 = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("doc1.md"))
        let doc2 = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("doc2.md"))
        let ghost = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("ghost.md"))
        // Drift behind Sluice's back: one document's points removed, and points of a document that does not exist.
        try await sink.write([.remove(doc1, revision: 0)])
        let vector = try await HashingEmbedder(dimension: 32).embed(["ghost"])[0]
        try await sink.write([.upsert(SinkDocument(
            key: ghost, revision: 1, contentHash: ContentHash.of("ghost"), title: nil, attributes: [:],
            chunks: [IndexedChunk(ordinal: 0, text: "ghost", textHash: ContentHash.of("ghost"), vector: vector)],
            staleOrdinals: 0..<0))])
        // And the tail of a document that the store says has one chunk.
        try await sink.write([.upsert(SinkDocument(
            key: doc2, revision: 1, contentHash: ContentHash.of("old"), title: nil, attributes: [:],
            chunks: [IndexedChunk(ordinal: 3, text: "old tail", textHash: ContentHash.of("old tail"), vector: vector)],
            staleOrdinals: 0..<0))])

        let audit = SinkAudit(store: runtime.store, sink: runtime.sink)
        let report = try await audit.run(tenant: nil, repair: true)
        let byDoc = Dictionary(uniqueKeysWithValues: report.drift.map { ($0.docId, $0) })
        #expect(byDoc.count == 3, "\(report.drift)")
        #expect(byDoc["doc1.md"]?.missing == 1)
        #expect(byDoc["ghost.md"]?.orphans == 1)
        #expect(byDoc["doc2.md"]?.orphans == 1)
        #expect(report.requeued == 3)

        let (_, _) = try await run(configuration)
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        #expect(try await audit.run(tenant: nil, repair: false).isClean)
        try await expectNoInvalidRequests()
    }

    /// The seed's "Qdrant connection failure" scenario: the destination goes
    /// down (connections refused) in the middle of an onboarding: the breaker opens, nothing is lost, and after recovery the
    /// collection holds exactly the expected points. The benchmark holds it
    /// down 30 s; here `outage` keeps CI short.
    @Test(arguments: [Duration.seconds(3)]) func qdrantConnectionFailureMidOnboardingLosesNothing(outage: Duration) async throws {
        try writeCorpus(tenants: ["acme", "globex", "initech", "umbrella"], filesPerTenant: 250)
        var configuration = configuration()
        configuration.maxRetries = 10
        configuration.sinkBatchPoints = 16
        let runtime = try SluiceRuntime(configuration: configuration)
        let run = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        // Wait until writing is under way, then take the destination down.
        while try await server.stats().answered.filter({ $0.path.hasSuffix("/points") && $0.status == 200 }).count < 5 {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await server.inject(.down)
        let down = ContinuousClock.now
        let opened = try await eventually {
            if case .closed = runtime.sink.deliveryGate?.snapshot.breaker { return false }
            return true
        }
        #expect(opened, "the breaker should open during the outage")
        try await Task.sleep(until: down + outage)
        let metrics = String(decoding: try await runtime.metricsExposition(), as: UTF8.self)
        // One series per state, labelled by the destination's short name: 1 for the state it is in.
        let lines = metrics.split(separator: "\n")
        #expect(lines.contains(#"sluice_circuit_state{destination="qdrant",state="closed"} 0.0"#), "not closed: \(metrics)")
        #expect(lines.contains(#"sluice_circuit_state{destination="qdrant",state="open"} 1.0"#)
            || lines.contains(#"sluice_circuit_state{destination="qdrant",state="half_open"} 1.0"#), "open or probing")
        #expect(runtime.destinations.first?.openSince != nil)
        try await server.inject(.none)
        let summary = try await run.value
        #expect(summary.indexed == 1000 && summary.failed == 0, "\(summary)")
        #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        try await expectNoInvalidRequests()
    }

    /// The seed's "rate-limit storm" scenario: sustained 429s with Retry-After.
    @Test func rateLimitStormKeepsUnderTheCapAndHonorsRetryAfter() async throws {
        try writeCorpus(tenants: ["acme"], filesPerTenant: 40)
        var configuration = configuration()
        configuration.remoteMaxRequestsPerMinute = 300  // 5 a second, a bucket of 5
        configuration.maxRetries = 20
        configuration.batchSize = 2
        try await server.inject(.status(429, retryAfter: 1))
        let runtime = try SluiceRuntime(configuration: configuration)
        let run = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        try await Task.sleep(for: .seconds(3))
        try await server.inject(.none)
        let summary = try await run.value
        #expect(summary.indexed == 40 && summary.failed == 0, "\(summary)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        let answered = try await server.stats().answered
        for (index, request) in answered.enumerated() {
            let window = answered[index...].prefix { $0.at - request.at < 1 }.count
            #expect(window <= 5 + 5, "at most the rate plus the bucket in any second, saw \(window)")
        }
        // Retry-After: 1 — after a 429, the next request comes a second later (less the answer's own travel).
        let throttled = answered.enumerated().filter { $0.element.status == 429 }
        #expect(!throttled.isEmpty)
        for (index, request) in throttled where index + 1 < answered.count {
            let next = answered[(index + 1)...].first { $0.at > request.at + 0.05 }
            if let next { #expect(next.at - request.at >= 0.9, "a request \(next.at - request.at) s after a 429") }
        }
    }

    /// The seed's "API timeout during a batch" scenario: every request of the
    /// batch outlasts the timeout for a while, then the destination recovers.
    @Test func apiTimeoutDuringABatchIsRetriedAndLosesNothing() async throws {
        try writeCorpus(tenants: ["acme"], filesPerTenant: 8)
        var configuration = configuration()
        configuration.remoteTimeout = .milliseconds(500)
        configuration.maxRetries = 20
        // Every request hangs past the timeout for a while, then the destination recovers.
        try await server.inject(.hang(seconds: 1))
        let runtime = try SluiceRuntime(configuration: configuration)
        let first = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        try await Task.sleep(for: .seconds(2))
        try await server.inject(.none)
        let summary = try await first.value
        #expect(summary.indexed == 8 && summary.failed == 0, "\(summary)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        // The timeout was not ignored: attempts ended as timeouts (no connection fails here, so every
        // `unavailable` is one); with the timeout ignored, the hung requests would just have succeeded late.
        let exposition = String(decoding: try await runtime.metricsExposition(), as: UTF8.self)
        let timedOut = exposition.split(separator: "\n").first {
            $0.hasPrefix("sluice_remote_requests_total{") && $0.contains("status=\"unavailable\"")
        }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(timedOut >= 1, "attempts timed out (and, all 8 being indexed, were tried again): \(timedOut)")
        try await expectNoInvalidRequests()
    }

    /// A permanent 400: a dead letter with the destination's words, not retried, and no key in it.
    @Test func a400GoesToDeadLettersUntilRetried() async throws {
        try writeCorpus(tenants: ["acme"], filesPerTenant: 8)
        let configuration = configuration()
        let (first, runtime) = try await run(configuration)
        #expect(first.indexed == 8, "\(first)")
        _ = try files.write("acme/doc0.md", "# Changed\n\nnew words for doc0")
        try await server.inject(.status(400))
        let (rejected, _) = try await run(configuration)
        #expect(rejected.failed == 1, "\(rejected)")
        let letters = try await runtime.store.deadLetters(tenant: nil)
        #expect(letters.count == 1 && letters[0].attempts == 1)
        #expect(letters[0].reason.contains("HTTP 400") && letters[0].reason.contains("injected fault"), "\(letters[0].reason)")
        #expect(!letters[0].reason.contains("qdrant-secret"))
        try await server.inject(.none)
        try await runtime.store.retryDeadLetters(tenant: nil)
        let (recovered, _) = try await run(configuration)
        #expect(recovered.indexed == 1 && recovered.failed == 0, "\(recovered)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        try await expectNoInvalidRequests()
    }

    /// A write that fails part-way leaves some of a longer version's points
    /// in the collection; the store never recorded them. The next write of
    /// the document, a short version, must remove them: it clears as far as
    /// the failed write could have reached (recorded before it was sent).
    /// Before, it cleared only past the recorded chunk count, and the points
    /// that landed stayed as orphans (the chaos bench found them).
    @Test func aWriteThatFailedPartWayLeavesNoOrphansOnceAShorterVersionIsWritten() async throws {
        var configuration = configuration()
        configuration.sinkBatchPoints = 4
        _ = try files.write("acme/doc.md", "# Doc\n\nshort")
        let (first, _) = try await run(configuration)
        #expect(first.indexed == 1, "\(first)")
        let long = (0..<40).map { "Paragraph \($0) with enough words to fill a chunk of its own, more or less, here." }.joined(separator: "\n\n")
        _ = try files.write("acme/doc.md", "# Doc\n\n" + long)
        // The collection check and two upserts of 4 points land; the next upsert is refused.
        try await server.inject(.status(400, passFirst: 3))
        let (failed, runtime) = try await run(configuration)
        #expect(failed.failed == 1, "\(failed)")
        try await server.inject(.none)
        let landed = try await server.pointIDs().count
        #expect(landed > 1, "part of the long version landed: \(landed) points")
        _ = try files.write("acme/doc.md", "# Doc\n\nshort again")
        try await runtime.store.retryDeadLetters(tenant: nil)
        let (recovered, _) = try await run(configuration)
        #expect(recovered.indexed == 1 && recovered.failed == 0, "\(recovered)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)), "no orphans of the write that failed")
        try await expectNoInvalidRequests()
    }

    /// Files made and deleted before they were processed (a flood of
    /// temporary files, a bulk copy undone) cost Qdrant nothing: the sink
    /// cannot hold points of a document never written. Before, each one sent
    /// a delete-by-filter request (the chaos bench's inotify floods queued a
    /// hundred thousand of them and the collection fell minutes behind).
    @Test func tombstonesOfDocumentsNeverWrittenAreNotSent() async throws {
        var configuration = configuration()
        configuration.settleWindow = .seconds(3)
        configuration.settleMaximum = .seconds(3)
        _ = try files.write("acme/kept.md", "# Kept\n\nkept words")
        let (first, runtime) = try await run(configuration)
        #expect(first.indexed == 1)
        let before = try await server.stats().answered.count
        // Files queued by the scan, then deleted within their settle window.
        for index in 0..<40 { _ = try files.write("acme/temp\(index).md", "# Temp \(index)\n\nwords") }
        let run = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        #expect(try await eventually(within: .seconds(60), every: .milliseconds(5)) { try await runtime.store.depth().pending == 40 })
        for index in 0..<40 { try files.remove("acme/temp\(index).md") }
        // And a tombstone published for a document never published.
        _ = try await runtime.store.publish([try Publication(
            IncomingDocument(meta: DocumentMeta(tenant: "acme", docId: "api/never.md", deleted: true), content: nil),
            priority: .normal, maxContentBytes: 1 << 20)])
        let summary = try await run.value
        #expect(summary.failed == 0 && summary.indexed == 0, "\(summary)")
        #expect(try await eventually(within: .seconds(60)) { try await runtime.store.depth().pending == 0 })
        if try await runtime.store.depth().pending > 0 { _ = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        let sent = try await server.stats().answered.dropFirst(before).filter { $0.path.contains("/points/delete") }
        #expect(sent.isEmpty, "no delete for documents never written: \(sent.count) sent")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        try await expectNoInvalidRequests()
    }

    /// An outage and a 429 storm are the destination's trouble, not the
    /// documents': with a single attempt allowed, nothing becomes a dead
    /// letter; the documents wait in the queue and are written once the
    /// destination takes them (the Qdrant chaos runs made dead letters of
    /// documents that met several storms).
    @Test func anOutageAndA429StormSpendNoAttempts() async throws {
        try writeCorpus(tenants: ["acme", "globex"], filesPerTenant: 20)
        var configuration = configuration()
        configuration.maxRetries = 1
        try await server.inject(.down)
        let runtime = try SluiceRuntime(configuration: configuration)
        let run = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        try await Task.sleep(for: .seconds(2))
        try await server.inject(.status(429, retryAfter: 0.2))
        try await Task.sleep(for: .seconds(2))
        try await server.inject(.none)
        let summary = try await run.value
        #expect(summary.indexed == 40 && summary.failed == 0, "\(summary)")
        #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        try await expectNoInvalidRequests()
    }

    @Test func aWrongCollectionSizeIsRefusedWithAHint() async throws {
        try writeCorpus(tenants: ["acme"], filesPerTenant: 2)
        var configuration = configuration()
        _ = try await run(configuration)
        configuration.embeddingDimension = 16
        let (summary, runtime) = try await run(configuration)
        #expect(summary.failed == 2, "\(summary)")
        let reason = try await runtime.store.deadLetters(tenant: nil).first?.reason ?? ""
        #expect(reason.contains("32-dimensional") && reason.contains("--qdrant-collection"), "\(reason)")
    }

    @Test func aMissingURLIsAConfigurationError() throws {
        var configuration = configuration()
        configuration.qdrantURL = nil
        #expect(throws: SluiceError.self) { try SluiceRuntime(configuration: configuration) }
        configuration.qdrantURL = "ftp://example"
        #expect(throws: SluiceError.self) { try SluiceRuntime(configuration: configuration) }
    }
}
