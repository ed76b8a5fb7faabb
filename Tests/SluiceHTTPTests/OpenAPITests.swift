import Foundation
@testable import SluiceHTTP
import Testing

@Suite struct OpenAPITests {
    @Test func theDocumentIsValidJSONAndDescribesEveryRoute() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == [
            "/healthz", "/readyz", "/openapi.json", "/v1/ingest/preview", "/v1/ingest/publish", "/v1/ingest/batch",
            "/v1/tenants/{tenant}/documents/{docId}", "/v1/tenants/{tenant}", "/v1/tenants/{tenant}/progress", "/v1/stats",
            "/v1/search", "/v1/dead-letters", "/v1/dead-letters/{id}/retry", "/v1/dead-letters/{id}", "/metrics", "/",
        ])
    }
}
