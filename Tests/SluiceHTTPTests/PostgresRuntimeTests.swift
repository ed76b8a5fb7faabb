import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// The whole of Sluice on a PostgreSQL store (`--store postgres://…`): a
/// fresh schema per test on the real server `.ci/run` starts, vectors in the
/// Qdrant test server. The points there must be exactly those the files and
/// published documents call for. A test takes seconds alone; in a full
/// suite on two cores one took more than 3 minutes, the limit before.
@Suite(.serialized, .timeLimit(.minutes(6))) struct PostgresRuntimeTests {
    let files: TemporaryDirectory
    let server: QdrantTestServer
    let storeURL: String

    init() throws {
        files = try TemporaryDirectory("sluice-pg-files")
        server = try QdrantTestServer()
        storeURL = try TestDatabase.freshURL()
    }

    func configuration() throws -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-pg-data").path
        configuration.storeURL = storeURL
        configuration.sink = .qdrant
        configuration.qdrantURL = server.url
        configuration.embeddingDimension = 32
        configuration.chunkSize = 200
        configuration.chunkOverlap = 20
        configuration.concurrency = 2
        configuration.batchSize = 10
        configuration.settleWindow = .zero
        return configuration
    }

    func expectedPointIDs(_ configuration: Configuration) throws -> Set<String> {
        try ExpectedIndex.pointIDs(of: files.path, chunker: MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap))
    }

    @Test func aRunOnPostgresSendsExactlyTheFilesPointsAndAnotherProcessSeesTheState() async throws {
        for tenant in ["acme", "globex"] {
            for index in 0..<12 {
                _ = try files.write("\(tenant)/doc\(index).md", "# Doc \(index)\n\nabout item\(index) of \(tenant), \(String(repeating: "words ", count: index * 10))")
            }
        }
        let configuration = try configuration()
        let runtime = try await SluiceRuntime.open(configuration: configuration)
        #expect(runtime.store is PostgresStore)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(summary.indexed == 24 && summary.failed == 0, "\(summary)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))

        // Changes while down: one shorter, one gone. Another process (another data directory, its own connections) runs.
        _ = try files.write("acme/doc11.md", "short now")
        try FileManager.default.removeItem(atPath: files.path + "/globex/doc4.md")
        let other = try await SluiceRuntime.open(configuration: try self.configuration())
        let second = try await Runner(runtime: other).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(second.indexed == 1 && second.deleted == 1 && second.unchanged == 22, "\(second)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
        #expect(try await runtime.store.tenantSummaries().map(\.indexed) == [12, 11], "the first process reads what the second wrote")
        let audit = try await SinkAudit(store: other.store, sink: other.sink).run(tenant: nil, repair: false)
        #expect(audit.isClean, "\(audit)")
        let hits = try await other.search(tenant: try TenantID("acme"), query: "item7", k: 1)
        #expect(hits.first?.docId == "doc7.md", "\(hits)")
    }

    @Test func documentsPublishedOverTheAPIAreIndexedFromTheStoredContent() async throws {
        let runtime = try await SluiceRuntime.open(configuration: try configuration())
        try await servingAPI(runtime) { base in
            let url = URL(string: base)!
            let published = try await call(url, "POST", "/v1/ingest/publish?wait=20", body: [
                "meta": ["tenant": "acme", "docId": "handbook.md"], "content": "# Leave\n\nThirty days of vacation.",
            ])
            #expect(published.status == 202 && published.json["status"] as? String == "indexed", "\(published.json)")
            let again = try await call(url, "POST", "/v1/ingest/publish", body: [
                "meta": ["tenant": "acme", "docId": "handbook.md"], "content": "# Leave\n\nThirty days of vacation.",
            ])
            #expect(again.json["status"] as? String == "unchanged")
            let search = try await call(url, "POST", "/v1/search", body: ["tenant": "acme", "query": "vacation days", "k": 1])
            #expect((search.json["results"] as? [[String: Any]])?.first?["docId"] as? String == "handbook.md", "\(search.json)")
        }
        #expect(try await server.pointIDs().count == 1)
    }

    /// Two processes serving the API on one store share each caller's rate
    /// limit (`PostgresStore`'s buckets): six requests spread over both, at a
    /// limit of six a minute with a one-request burst, get one answer and five
    /// 429s. Buckets in each process's memory gave one to each.
    @Test func twoAPIProcessesShareOneRateLimit() async throws {
        var configuration = try configuration()
        configuration.apiRateLimitPerMinute = 6
        configuration.apiRateLimitExempt = []
        let first = try await SluiceRuntime.open(configuration: configuration)
        configuration.dataDirectory = try TemporaryDirectory("sluice-pg-data").path
        let second = try await SluiceRuntime.open(configuration: configuration)
        try await servingAPI(first) { one in
            try await servingAPI(second) { two in
                var statuses: [Int] = []
                for index in 0..<6 {
                    let base = URL(string: index % 2 == 0 ? one : two)!
                    statuses.append(try await call(base, "GET", "/v1/tenants/acme/progress").status)
                }
                #expect(statuses.filter { $0 == 429 }.count == 5, "\(statuses)")
                #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
            }
        }
    }

    /// PostgreSQL's text cannot hold U+0000. A tenant's text file with a NUL
    /// past the binary sniff (the first 8 KiB), or a JSON file with "\u0000",
    /// used to make the completion of its whole batch fail, the other
    /// tenants' documents in it included. Every document is indexed; the NUL
    /// reaches no store or sink.
    @Test func aNULInsideATenantsTextSpoilsNobodysBatch() async throws {
        _ = try files.write("acme/late-nul.md", String(repeating: "plain words here. ", count: 600) + "\u{0}after the nul")
        _ = try files.write("acme/escaped.json", #"{"title": "a\u0000b", "body": "text with \u0000 inside"}"#)
        for index in 0..<8 { _ = try files.write("globex/doc\(index).md", "# Doc \(index)\n\nwords of globex \(index)") }
        var configuration = try configuration()
        configuration.batchSize = 20
        configuration.concurrency = 1
        let runtime = try await SluiceRuntime.open(configuration: configuration)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(summary.indexed == 10 && summary.failed == 0, "\(summary)")
        #expect(try await server.pointIDs() == (try expectedPointIDs(configuration)))
    }

    @Test func theEmbeddedIndexNeedsTheSQLiteStore() async throws {
        var configuration = try configuration()
        configuration.sink = .embedded
        let error = await #expect(throws: SluiceError.self) { try await SluiceRuntime.open(configuration: configuration) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("--sink qdrant") == true, "\(error?.message ?? "")")
        configuration.storeURL = "postgres://nobody@127.0.0.1:1/none"
        configuration.sink = .qdrant
        let refused = await #expect(throws: SluiceError.self) { try await SluiceRuntime.open(configuration: configuration) }
        #expect(refused?.code == .configuration, "nothing answers there: a one-line configuration error")
    }
}
