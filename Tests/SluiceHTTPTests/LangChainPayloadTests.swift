import Foundation
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `--qdrant-payload langchain`: points that LangChain's `QdrantVectorStore`
/// (PyPI's langchain-qdrant, the real client) reads as they are, over the
/// Qdrant test server, which checks every payload against
/// docs/schemas/qdrant-point-langchain.v1.json. Sluice's own reads,
/// filters and deletes work on that layout too.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LangChainPayloadTests {
    @Test func langchainReadsTheCollectionAsItIsAndFiltersByTenant() async throws {
        let files = try TemporaryDirectory("sluice-langchain-files")
        let data = try TemporaryDirectory("sluice-langchain-data")
        defer {
            files.remove()
            data.remove()
        }
        let server = try QdrantTestServer(payloadSchema: "qdrant-point-langchain.v1.json")
        _ = try files.write("acme/handbook.md", """
            # Handbook

            ## Leave

            Vacation requests go to your manager two weeks ahead. Unused vacation days carry over to March.

            ## Travel

            Book trains for trips under four hours; flights need the finance team's approval.
            """)
        _ = try files.write("acme/notes.md", "# Notes\n\nThe cafeteria opens at eight.")
        _ = try files.write("globex/handbook.md", "# Handbook\n\n## Leave\n\nVacation requests go to your manager two weeks ahead.")
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.sink = .qdrant
        configuration.qdrantURL = server.url
        configuration.qdrantPayload = .langchain
        configuration.embeddingDimension = 32
        configuration.chunkSize = 200
        configuration.chunkOverlap = 0
        let runtime = try SluiceRuntime(configuration: configuration)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(summary.failed == 0 && summary.indexed == 3, "\(summary)")
        let invalid = try await server.stats().invalid
        #expect(invalid.isEmpty, "every payload matched the langchain schema: \(invalid)")

        // Sluice's own search reads the layout and filters by metadata.tenant.
        let hits = try await runtime.search(tenant: try TenantID("acme"), query: "Vacation requests go to your manager", k: 5)
        let vacation = try #require(hits.first { $0.text.contains("Vacation requests") }, "\(hits)")
        #expect(vacation.docId == "handbook.md" && vacation.location.headingPath.first == "Handbook", "\(vacation)")
        #expect(hits.allSatisfy { $0.tenant == "acme" })

        // LangChain, by the chunk's own vector, filtered to acme: the chunk itself comes first, with its metadata.
        let vector = try await HashingEmbedder(dimension: 32).embed([vacation.text])[0]
        let found = try await Self.langchainSearch(url: server.url, vector: vector, tenant: "acme")
        let first = try #require(found.first, "langchain found nothing")
        #expect(first.page_content == vacation.text)
        #expect(first.metadata["tenant"] as? String == "acme")
        #expect(first.metadata["docId"] as? String == "handbook.md")
        #expect(first.metadata["title"] as? String == "Handbook")
        #expect(first.metadata["headingPath"] as? [String] == vacation.location.headingPath)
        #expect(first.metadata["ordinal"] as? Int == vacation.ordinal)
        #expect((first.metadata["revision"] as? Int ?? 0) > 0)
        #expect((first.metadata["contentHash"] as? String)?.count == 64)
        #expect(first.metadata["text"] == nil, "the text is page_content, not repeated in metadata")
        #expect(first.content == vacation.text, "LangChain JS and n8n read `content`")
        #expect(!found.isEmpty && found.allSatisfy { $0.metadata["tenant"] as? String == "acme" }, "globex's identical chunk is filtered out")
        let globex = try await Self.langchainSearch(url: server.url, vector: vector, tenant: "globex")
        #expect(globex.first?.metadata["docId"] as? String == "handbook.md" && globex.allSatisfy { $0.metadata["tenant"] as? String == "globex" })

        // Deleting a file removes its points by metadata.docId; the audit reads the layout back.
        try FileManager.default.removeItem(atPath: files.path + "/acme/handbook.md")
        let again = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        #expect(again.deleted == 1, "\(again)")
        let after = try await Self.langchainSearch(url: server.url, vector: vector, tenant: "acme")
        #expect(after.allSatisfy { $0.metadata["docId"] as? String == "notes.md" }, "handbook.md's points are gone")
        let report = try await SinkAudit(store: runtime.store, sink: runtime.sink).run(tenant: nil, repair: false)
        #expect(report.isClean && report.foundPoints == report.expectedPoints && report.foundPoints > 0, "\(report)")
    }

    struct Found {
        var page_content: String
        var content: String?
        var metadata: [String: Any]
    }

    /// `QdrantVectorStore.similarity_search_by_vector` with a `metadata.tenant` filter, as a LangChain app would
    /// write it, plus each hit's raw `content` (LangChain JS's key) read with the same client.
    static func langchainSearch(url: String, vector: [Float], tenant: String) async throws -> [Found] {
        let data = try await runPython("""
            import json, sys
            from langchain_core.embeddings import DeterministicFakeEmbedding
            from langchain_qdrant import QdrantVectorStore
            from qdrant_client import QdrantClient, models
            url, vector, tenant = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
            client = QdrantClient(url=url, prefer_grpc=False, check_compatibility=False)
            store = QdrantVectorStore(client=client, collection_name="sluice", embedding=DeterministicFakeEmbedding(size=len(vector)))
            tenant_only = models.Filter(must=[models.FieldCondition(key="metadata.tenant", match=models.MatchValue(value=tenant))])
            documents = store.similarity_search_by_vector(vector, k=5, filter=tenant_only)
            points = client.query_points("sluice", query=vector, query_filter=tenant_only, limit=5, with_payload=True).points
            raw = {str(p.id): p.payload for p in points}
            print(json.dumps([
                {"page_content": d.page_content, "content": raw[str(d.metadata["_id"])].get("content"), "metadata": d.metadata}
                for d in documents
            ]))
            """, [url, String(decoding: try JSONEncoder().encode(vector), as: UTF8.self), tenant], needs: "langchain-qdrant")
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], "\(String(decoding: data, as: UTF8.self))")
        return rows.map { Found(page_content: $0["page_content"] as? String ?? "", content: $0["content"] as? String, metadata: $0["metadata"] as? [String: Any] ?? [:]) }
    }
}
