import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import SluiceApp
import SluiceCore
import SluiceHTTP
import SluiceTesting
import Testing

/// Request bodies count against the in-memory budget shared with extraction.
@Suite struct BudgetTests {
    @Test func aBodyThatDoesNotFitTheBudgetGets503WithRetryAfter() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-budget").path
        let runtime = try SluiceRuntime(configuration: configuration)
        let budget = ByteBudget(capacity: 100_000)
        let backend = APIBackend(
            publisher: runtime.store, documents: runtime.store, reports: runtime.store, keys: runtime.store, queue: runtime.store,
            access: AccessPolicy(), search: { _, _, _, _ in [] }, preview: { try await runtime.preview($0) },
            purge: { try await runtime.purge(tenant: $0) },
            budget: budget, isReady: { true }, limits: APIBackend.Limits())
        let (port, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: APIRouter.make(backend), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = port.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            func publish() async throws -> HTTPURLResponse {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(bound)/v1/ingest/publish")!)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"meta":{"tenant":"acme","docId":"a.md"},"content":"hello"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                return try #require(response as? HTTPURLResponse)
            }
            #expect(try await publish().statusCode == 202)
            #expect(budget.tryAcquire(99_950), "extraction holds nearly all of it")
            let busy = try await publish()
            #expect(busy.statusCode == 503 && busy.value(forHTTPHeaderField: "Retry-After") == "1")
            budget.release(99_950)
            #expect(try await publish().statusCode == 202, "served again once memory is free")
            group.cancelAll()
        }
    }
}
