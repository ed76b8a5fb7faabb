import Foundation
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// One sink as the conformance body drives it: how Sluice is set up to write
/// to it, and which point ids its destination holds (read from the
/// destination itself, never from Sluice's own record).
struct SinkUnderTest: Sendable {
    let configure: @Sendable (inout Configuration) -> Void
    /// The point ids the destination holds once it has taken in what was sent.
    let holdings: @Sendable () async throws -> Set<String>
}

/// The contract every sink keeps, through `sluice run`: the destination holds
/// exactly one point per chunk the files call for, for every tenant; a
/// shortened document leaves no stale points, a deleted one none at all; a
/// purged tenant is gone and the others untouched.
struct SinkConformance {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-sink-conformance-files")
        data = try TemporaryDirectory("sluice-sink-conformance-data")
    }

    static func configuration(dataDirectory: String) -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = dataDirectory
        configuration.embeddingDimension = 32
        configuration.chunkSize = 200
        configuration.chunkOverlap = 20
        configuration.retryDelay = .milliseconds(20)
        configuration.concurrency = 2
        configuration.batchSize = 4
        configuration.remoteTimeout = .seconds(5)
        return configuration
    }

    /// The point ids the files call for: one per chunk (UUIDv5 of tenant, docId and ordinal).
    func expected(_ configuration: Configuration) throws -> Set<String> {
        try ExpectedIndex.pointIDs(of: files.path, chunker: MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap))
    }

    func run(_ sink: SinkUnderTest) async throws {
        let long = (0..<10).map { "Paragraph \($0) of the long document, with enough words to fill a chunk of its own here." }
        try files.write("acme/long.md", long.joined(separator: "\n\n"))
        for index in 0..<3 { try files.write("acme/doc\(index).md", "# Doc \(index)\n\nabout item\(index) of acme") }
        for index in 0..<2 { try files.write("globex/doc\(index).md", "# Doc \(index)\n\nabout item\(index) of globex") }
        var configuration = SinkConformance.configuration(dataDirectory: data.path)
        sink.configure(&configuration)

        func runOnce() async throws -> SluiceRuntime {
            let runtime = try SluiceRuntime(configuration: configuration)
            let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
            #expect(summary.failed == 0, "\(summary.failures)")
            return runtime
        }
        func holds(_ wanted: Set<String>, _ what: Comment) async throws {
            var held: Set<String> = []
            let matched = try await eventually(within: .seconds(60)) {
                held = try await sink.holdings()
                return held == wanted
            }
            #expect(matched, "\(what): \(held.subtracting(wanted).count) points too many, \(wanted.subtracting(held).count) missing")
        }

        _ = try await runOnce()
        let first = try expected(configuration)
        #expect(first.count > 6, "the long document has several chunks")
        try await holds(first, "after the first run")

        try files.write("acme/long.md", long.prefix(2).joined(separator: "\n\n"))
        try files.remove("acme/doc1.md")
        let runtime = try await runOnce()
        try await holds(try expected(configuration), "after shortening one document and deleting another")

        _ = try await runtime.purge(tenant: try TenantID("globex"))
        try files.remove("globex/doc0.md")
        try files.remove("globex/doc1.md")
        try await holds(try expected(configuration), "after purging globex")
    }
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct SinkConformanceTests {
    @Test func theEmbeddedIndex() async throws {
        let conformance = try SinkConformance()
        let path = conformance.data.path
        try await conformance.run(SinkUnderTest(configure: { _ in }, holdings: {
            let runtime = try SluiceRuntime(configuration: SinkConformance.configuration(dataDirectory: path))
            var ids: Set<String> = []
            try await runtime.sink.reader?.points(tenant: nil) { points in ids.formUnion(points.map(\.id)) }
            return ids
        }))
    }

    @Test func qdrant() async throws {
        let server = try QdrantTestServer(apiKey: "qdrant-secret")
        try await SinkConformance().run(SinkUnderTest(
            configure: { configuration in
                configuration.sink = .qdrant
                configuration.qdrantURL = server.url
                configuration.qdrantAPIKey = "qdrant-secret"
            },
            holdings: { try await server.pointIDs() }))
        #expect(try await server.stats().invalid.isEmpty)
    }

    @Test func aWebhook() async throws {
        let receiver = WebhookReceiver(secret: "hook-secret")
        try await receiver.serving { url in
            try await SinkConformance().run(SinkUnderTest(
                configure: { configuration in
                    configuration.sink = .webhook
                    configuration.webhookURL = url
                    configuration.webhookSecret = "hook-secret"
                },
                holdings: { Set(receiver.points.withLock { $0.keys }) }))
        }
        #expect(receiver.deliveries.withLock { $0.allSatisfy(\.signatureValid) })
    }

    @Test func anotherSluice() async throws {
        let central = try SluiceRuntime(configuration: SinkConformance.configuration(dataDirectory: try TemporaryDirectory("sluice-central").path))
        let key = try await central.store.createKey(tenant: nil, label: "edge")
        try await servingAPI(central) { base in
            try await SinkConformance().run(SinkUnderTest(
                configure: { configuration in
                    configuration.sink = .sluice
                    configuration.forwardURL = base
                    configuration.forwardKey = key.secret
                },
                holdings: {
                    // What the central Sluice indexed, once it has nothing pending.
                    guard try await central.store.depth().pending == 0 else { return [] }
                    var ids: Set<String> = []
                    try await central.store.exportChunks(tenant: nil, batchSize: 1000) { chunks in ids.formUnion(chunks.map(\.chunkId)) }
                    return ids
                }))
        }
    }
}
