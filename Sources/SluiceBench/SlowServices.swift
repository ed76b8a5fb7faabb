import Foundation
import Hummingbird
import Logging
import SluiceConnectors
import SluiceCore
import Synchronization

/// The remote services of `sluice bench --store`'s pipeline rounds, on
/// loopback in the bench's own process: an OpenAI-compatible embeddings
/// endpoint that takes `delay` for every request (a remote model's latency;
/// its vectors are the built-in hashing embedder's), and a webhook sink that
/// confirms every batch at once and counts the documents it was sent.
/// Tests use it too: `firstDelay` holds the first embeddings request that
/// long (a batch kept in hand while its process is killed).
public final class SlowServices: Sendable {
    let delay: Duration
    let firstDelay: Duration
    let dimension: Int
    private let embedRequests = Mutex(0)
    private let hookRequests = Mutex(0)

    public init(delay: Duration, dimension: Int, firstDelay: Duration? = nil) {
        self.delay = delay
        self.firstDelay = firstDelay ?? delay
        self.dimension = dimension
    }

    /// Embeddings requests received so far (those still held included).
    public var embeddingCalls: Int { embedRequests.withLock { $0 } }
    var webhookCalls: Int { hookRequests.withLock { $0 } }

    private struct EmbeddingRequest: Decodable {
        var model: String
        var input: [String]
    }

    /// The answer, encoded without Foundation's bridging (`JSONSerialization`
    /// took over 40% of the bench process's CPU: a remote model costs the
    /// machine measured nothing, so its stand-in should cost it little).
    private struct EmbeddingAnswer: Encodable {
        struct Item: Encodable {
            var object = "embedding"
            var index: Int
            var embedding: [Float]
        }
        var object = "list"
        var model: String
        var data: [Item]
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        let embedder = HashingEmbedder(dimension: dimension)
        router.post("/v1/embeddings") { request, context -> Response in
            let number = self.embedRequests.withLock { calls in
                calls += 1
                return calls
            }
            let body = try await request.decode(as: EmbeddingRequest.self, context: context)
            try await Task.sleep(for: number == 1 ? self.firstDelay : self.delay)
            let vectors = try await embedder.embed(body.input)
            let answer = EmbeddingAnswer(
                model: body.model, data: vectors.enumerated().map { EmbeddingAnswer.Item(index: $0.offset, embedding: $0.element) })
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(answer))))
        }
        router.post("/hook") { request, _ -> Response in
            self.hookRequests.withLock { $0 += 1 }
            _ = try await request.body.collect(upTo: 64 << 20)
            return Response(status: .ok)
        }
        return router
    }

    /// Runs the services around `body`, which gets their root URL.
    public func serving<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let port = Mutex<Int?>(nil)
        var quiet = Logger(label: "sluice.bench.services")
        quiet.logLevel = .critical
        let app = Application(
            router: router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: quiet)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
            let value = try await body("http://127.0.0.1:\(port.withLock { $0 }!)")
            group.cancelAll()
            return value
        }
    }
}
