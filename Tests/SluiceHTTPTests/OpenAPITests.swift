import Foundation
import SluiceApp
import SluiceCore
@testable import SluiceHTTP
import SluiceTesting
import Testing

@Suite struct OpenAPITests {
    func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
    }

    /// Every operation of the document is a route, and every route an
    /// operation: a route added without its description, or a description
    /// left behind, fails here.
    @Test func theDocumentDescribesExactlyTheRoutersRoutes() async throws {
        let document = try document()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let described = Set(paths.flatMap { path, item in
            item.keys.filter { $0 != "parameters" }.map { "\($0.uppercased()) \(path)" }
        })

        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-openapi").path
        let runtime = try SluiceRuntime(configuration: configuration)
        let backend = APIBackend(
            publisher: runtime.store, documents: runtime.store, reports: runtime.store, keys: runtime.store, queue: runtime.store,
            access: AccessPolicy(), search: { _, _, _, _ in [] }, preview: { try await runtime.preview($0) },
            purge: { try await runtime.purge(tenant: $0) }, budget: ByteBudget(capacity: 1 << 20), isReady: { true },
            limits: APIBackend.Limits())
        let routed = Set(APIRouter.make(backend).routes.map { route in
            // Hummingbird writes a parameter :name; OpenAPI writes {name}.
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method) \(path)"
        })
        #expect(described == routed, "described only: \(described.subtracting(routed).sorted()); routed only: \(routed.subtracting(described).sorted())")
        #expect(routed.count == 17)
    }

    @Test func everyOperationHasAnIdATagAndASummary() throws {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var ids: [String] = []
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                let id = try #require(operation["operationId"] as? String, "\(method) \(path)")
                ids.append(id)
                #expect((operation["tags"] as? [String])?.count == 1, "\(method) \(path)")
                #expect((operation["summary"] as? String)?.isEmpty == false, "\(method) \(path)")
            }
        }
        #expect(Set(ids).count == ids.count, "operationIds are unique")
    }

    /// The error codes the document lists are the ones the API answers with.
    @Test func theErrorCodesAreTheAPIsCodes() throws {
        let schemas = try #require((try document()["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let detail = try #require(schemas["ErrorDetail"] as? [String: Any])
        let code = try #require((detail["properties"] as? [String: Any])?["code"] as? [String: Any])
        #expect(Set(code["enum"] as? [String] ?? []) == Set(APIError.Code.allCases.map(\.rawValue)))
    }
}
