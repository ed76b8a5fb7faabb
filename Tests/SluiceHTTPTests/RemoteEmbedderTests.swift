import Foundation
import Hummingbird
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// An OpenAI-compatible embeddings service on loopback (a stand-in for a paid
/// API): it embeds with the built-in hashing embedder, and can be told to
/// fail in the ways real services do.
final class FakeEmbeddingService: Sendable {
    enum Mode: Sendable {
        case healthy
        case unavailable(remaining: Int)
        case rejecting
        case wrongDimension
        /// 429 with `Retry-After: 1` for the next `remaining` requests.
        case throttling(remaining: Int)
    }

    let mode = Mutex(Mode.healthy)
    let requests = Mutex(0)
    /// When each request arrived, and whether it was answered 429.
    let arrivals = Mutex<[(at: ContinuousClock.Instant, throttled: Bool)]>([])
    let dimension: Int

    init(dimension: Int) { self.dimension = dimension }

    struct Body: Decodable {
        var model: String
        var input: [String]
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/embeddings") { request, context -> Response in
            self.requests.withLock { $0 += 1 }
            let failure = self.mode.withLock { mode -> Int? in
                switch mode {
                case .healthy, .wrongDimension: return nil
                case .rejecting: return 400
                case .throttling(let remaining):
                    if remaining <= 0 { mode = .healthy; return nil }
                    mode = .throttling(remaining: remaining - 1)
                    return 429
                case .unavailable(let remaining):
                    if remaining <= 0 { mode = .healthy; return nil }
                    mode = .unavailable(remaining: remaining - 1)
                    return 503
                }
            }
            self.arrivals.withLock { $0.append((ContinuousClock.now, failure == 429)) }
            if let failure {
                return Response(
                    status: .init(code: failure), headers: [.contentType: "application/json", .retryAfter: "1"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"model \"fake\" is not loaded"}}"#)))
            }
            let body = try await request.decode(as: Body.self, context: context)
            let wrong = self.mode.withLock { if case .wrongDimension = $0 { true } else { false } }
            let embedder = HashingEmbedder(dimension: wrong ? self.dimension * 2 : self.dimension)
            let vectors = try await embedder.embed(body.input)
            let data = vectors.enumerated().map { ["object": "embedding", "index": $0.offset, "embedding": $0.element] as [String: Any] }
            let json = try JSONSerialization.data(withJSONObject: ["object": "list", "model": body.model, "data": data])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        return router
    }

    /// Runs the service around `body`, which gets its API root; on `port`, or any free one.
    func serving(port fixed: Int = 0, _ body: (String) async throws -> Void) async throws {
        try await servingOnLoopback(router(), port: fixed) { port in try await body("http://127.0.0.1:\(port)/v1") }
    }
}

/// `sluice run` with `--embedder openai` against that service: the same
/// guarantees as the built-in embedder, under the delivery controls.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RemoteEmbedderTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory
    let service = FakeEmbeddingService(dimension: 32)

    init() throws {
        files = try TemporaryDirectory("sluice-remote-files")
        data = try TemporaryDirectory("sluice-remote-data")
        for index in 0..<12 { _ = try files.write("acme/doc\(index).md", "# Doc \(index)\n\nabout item\(index) and more text \(index)") }
    }

    func configuration(_ url: String) -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.embedder = .openai
        configuration.embedderURL = url
        configuration.embedderModel = "fake"
        configuration.embedderAPIKey = "sk-test"
        configuration.embeddingDimension = 32
        configuration.embedBatchSize = 4
        configuration.retryDelay = .milliseconds(1)
        configuration.maxRetries = 3
        configuration.concurrency = 2
        configuration.batchSize = 3
        return configuration
    }

    func run(_ configuration: Configuration) async throws -> (RunSummary, SluiceRuntime) {
        let runtime = try SluiceRuntime(configuration: configuration)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        return (summary, runtime)
    }

    @Test func indexesAndSearchesThroughTheService() async throws {
        try await service.serving { url in
            let (summary, runtime) = try await run(configuration(url))
            #expect(summary.indexed == 12 && summary.failed == 0)
            let hits = try await runtime.search(tenant: try TenantID("acme"), query: "item7", k: 1)
            #expect(hits.first?.docId == "doc7.md")
            #expect(runtime.embedder.modelKey.hasPrefix("openai:fake@") && runtime.embedder.modelKey.hasSuffix("/32"))
            var elsewhere = configuration(url.replacingOccurrences(of: "127.0.0.1", with: "localhost"))
            elsewhere.dataDirectory = data.path + "/elsewhere"
            let other = try SluiceRuntime(configuration: elsewhere)
            #expect(other.embedder.modelKey != runtime.embedder.modelKey, "one model name at two services is two cache identities")
            #expect(!runtime.embedder.modelKey.contains("127.0.0.1"), "the URL itself stays out of the identity")
        }
    }

    /// A redirect would carry the key to wherever it points.
    @Test func aRedirectIsNeverFollowedWithTheKey() async throws {
        let stolen = Mutex<[String]>([])
        let thief = Router()
        thief.post("/steal") { request, _ -> Response in
            stolen.withLock { $0.append(request.headers[.authorization] ?? "") }
            return Response(status: .ok)
        }
        try await servingOnLoopback(thief) { thiefPort in
            let redirecting = Router()
            redirecting.post("/v1/embeddings") { _, _ -> Response in
                Response(status: .temporaryRedirect, headers: [.location: "http://127.0.0.1:\(thiefPort)/steal"])
            }
            try await servingOnLoopback(redirecting) { port in
                var configuration = configuration("http://127.0.0.1:\(port)/v1")
                configuration.maxRetries = 1
                let (summary, runtime) = try await run(configuration)
                #expect(summary.indexed == 0 && summary.failed == 12)
                #expect(stolen.withLock { $0 }.isEmpty, "the key never reached the redirect's target")
                let reasons = try await runtime.store.deadLetters(tenant: nil).map(\.reason)
                #expect(reasons.allSatisfy { $0.contains("307") && !$0.contains("sk-test") }, "\(reasons.prefix(1))")
            }
        }
    }

    @Test func anOutageLosesNothingAndSpendsNoAttemptWhileTheBreakerIsOpen() async throws {
        // Six 503s in a row: five open the breaker, its first probe fails and
        // reopens it; meanwhile nothing is leased or tried. A document can be in
        // at most those six failed requests, so with seven attempts nothing may
        // end as a dead letter, however the batches form.
        service.mode.withLock { $0 = .unavailable(remaining: 6) }
        try await service.serving { url in
            var configuration = configuration(url)
            configuration.maxRetries = 7
            let (summary, runtime) = try await run(configuration)
            #expect(summary.indexed == 12 && summary.failed == 0, "\(summary)")
            #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)
            #expect(service.requests.withLock { $0 } < 40, "no spinning against an open breaker")
        }
    }

    @Test func anEmbedderRefusingConnectionsMidRunLosesNothing() async throws {
        // Learn a free port, then leave it closed: the embedder is down when the run starts.
        var port = 0
        try await service.serving { url in port = Int(url.split(separator: ":").last!.split(separator: "/").first!)! }
        var configuration = configuration("http://127.0.0.1:\(port)/v1")
        configuration.maxRetries = 10
        let runtime = try SluiceRuntime(configuration: configuration)
        let run = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        let opened = try await eventually {
            if case .closed = runtime.embedder.deliveryGate?.snapshot.breaker { return false }
            return true
        }
        #expect(opened, "the breaker should open while the embedder refuses connections")
        #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)
        // The embedder comes up on the same port: everything is indexed, nothing lost.
        try await service.serving(port: port) { _ in
            let summary = try await run.value
            #expect(summary.indexed == 12 && summary.failed == 0, "\(summary)")
        }
        #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)
    }

    @Test func throttlingIsHonoredAndTheRateCapHolds() async throws {
        // Three 429s with Retry-After: 1, and a cap of 120 requests a minute (2 a second, a bucket of 2).
        service.mode.withLock { $0 = .throttling(remaining: 3) }
        try await service.serving { url in
            var configuration = configuration(url)
            configuration.remoteMaxRequestsPerMinute = 120
            configuration.embedBatchSize = 1
            configuration.maxRetries = 10
            let (summary, _) = try await run(configuration)
            #expect(summary.indexed == 12 && summary.failed == 0, "\(summary)")
        }
        let arrivals = service.arrivals.withLock { $0 }
        for (index, arrival) in arrivals.enumerated() {
            let window = arrivals[index...].prefix { $0.at - arrival.at < .seconds(1) }.count
            #expect(window <= 2 + 2, "at most the rate plus the bucket in any second, saw \(window)")
        }
        if let lastThrottled = arrivals.lastIndex(where: \.throttled), lastThrottled + 1 < arrivals.count {
            #expect(arrivals[lastThrottled + 1].at - arrivals[lastThrottled].at >= .milliseconds(950), "Retry-After: 1 is honored")
        }
    }

    @Test func aRejectedRequestEndsInDeadLettersWithTheServicesWords() async throws {
        service.mode.withLock { $0 = .rejecting }
        try await service.serving { url in
            let (summary, runtime) = try await run(configuration(url))
            #expect(summary.failed == 12)
            let letters = try await runtime.store.deadLetters(tenant: nil)
            #expect(letters.count == 12)
            #expect(letters.allSatisfy { $0.reason.contains("HTTP 400") && $0.reason.contains("is not loaded") && $0.attempts == 1 }, "not retried: \(letters.first?.reason ?? "")")
            #expect(letters.allSatisfy { !$0.reason.contains("sk-test") }, "the key never appears")
            // Every attempt failed: the error rate alert is raised.
            let changes = try await runtime.checkHealth()
            #expect(changes == runtime.health.report(at: runtime.clock.now()).alerts.map { .raised($0) })
            #expect(changes.count == 1 && runtime.health.report(at: runtime.clock.now()).alerts.first?.name == "error_rate")
            #expect(runtime.health.report(at: runtime.clock.now()).failures == 12)
            service.mode.withLock { $0 = .healthy }
            try await runtime.store.retryDeadLetters(tenant: nil)
            let (recovered, _) = try await run(configuration(url))
            #expect(recovered.indexed == 12 && recovered.failed == 0)
        }
    }

    @Test func vectorsOfTheWrongDimensionAreRefusedWithAHint() async throws {
        service.mode.withLock { $0 = .wrongDimension }
        try await service.serving { url in
            let (summary, runtime) = try await run(configuration(url))
            #expect(summary.failed == 12 && summary.indexed == 0)
            let reason = try await runtime.store.deadLetters(tenant: nil).first?.reason ?? ""
            #expect(reason.contains("64-dimensional") && reason.contains("SLUICE_EMBED_DIMENSION"), "\(reason)")
        }
    }

    @Test func aMissingURLOrModelIsAConfigurationError() throws {
        var configuration = configuration("http://127.0.0.1:1/v1")
        configuration.embedderModel = nil
        #expect(throws: SluiceError.self) { try SluiceRuntime(configuration: configuration) }
        configuration.embedderModel = "fake"
        configuration.embedderURL = "not a url"
        #expect(throws: SluiceError.self) { try SluiceRuntime(configuration: configuration) }
    }
}
