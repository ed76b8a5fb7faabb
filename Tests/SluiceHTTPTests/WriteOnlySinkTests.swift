import Crypto
import Foundation
import Hummingbird
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// A webhook receiver on loopback: checks each body's signature, applies the
/// operations to a map of chunk ids, and can answer 503 to the first
/// delivery of every batch (by its Idempotency-Key) or to the next few.
final class WebhookReceiver: Sendable {
    let secret: String
    let refuseFirstDeliveryOfEachBatch = Mutex(false)
    let unavailableFor = Mutex(0)
    let deliveries = Mutex<[(key: String, signatureValid: Bool, schema: String)]>([])
    let bodies = Mutex<[Data]>([])
    /// Chunk id → "tenant/docId", as the operations leave it.
    let points = Mutex<[String: String]>([:])
    let seenKeys = Mutex<Set<String>>([])

    init(secret: String) { self.secret = secret }

    /// The scheme docs/SINKS.md gives receivers, computed here from the primitive
    /// rather than with `WebhookSink.signature`, so a mistake there cannot hide:
    /// "sha256=" and the lowercase hex of HMAC-SHA256 of the raw body, keyed by the secret's UTF-8.
    static func documentedSignature(_ body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }

    /// The Standard Webhooks check docs/SINKS.md gives receivers, from the primitive too:
    /// `v1,` and the base64 HMAC-SHA256 of "id.timestamp.body", keyed by the secret's UTF-8
    /// (not of the scheme's `whsec_` form), sent within the last five minutes.
    static func standardSignatureHolds(_ headers: HTTPFields, body: [UInt8], secret: String) -> Bool {
        guard let id = headers[.init("webhook-id")!], let sent = headers[.init("webhook-timestamp")!],
              let timestamp = Int64(sent), let signature = headers[.init("webhook-signature")!] else { return false }
        guard abs(Int64(Date().timeIntervalSince1970) - timestamp) <= 300 else { return false }
        let code = HMAC<SHA256>.authenticationCode(for: Array("\(id).\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return signature == "v1," + Data(code).base64EncodedString() && id == headers[.init("Idempotency-Key")!]
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/hooks/sluice") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            let bytes = Array(body.readableBytesView)
            let key = request.headers[.init("Idempotency-Key")!] ?? ""
            let signature = request.headers[.init("X-Sluice-Signature")!] ?? ""
            let valid = signature == WebhookReceiver.documentedSignature(bytes, secret: self.secret)
                && WebhookReceiver.standardSignatureHolds(request.headers, body: bytes, secret: self.secret)
            self.bodies.withLock { $0.append(Data(bytes)) }
            let json = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
            self.deliveries.withLock { $0.append((key, valid, json["schema"] as? String ?? "")) }
            let firstTime = self.seenKeys.withLock { $0.insert(key).inserted }
            if firstTime && self.refuseFirstDeliveryOfEachBatch.withLock({ $0 }) { return Response(status: .serviceUnavailable) }
            let unavailable = self.unavailableFor.withLock { remaining in
                defer { remaining = max(0, remaining - 1) }
                return remaining > 0
            }
            if unavailable { return Response(status: .serviceUnavailable) }
            for operation in json["operations"] as? [[String: Any]] ?? [] {
                let tenant = operation["tenant"] as? String ?? ""
                let docId = operation["docId"] as? String ?? ""
                let owner = "\(tenant)/\(docId)"
                self.points.withLock { points in
                    switch operation["op"] as? String {
                    case "upsert":
                        for chunk in operation["chunks"] as? [[String: Any]] ?? [] { points[chunk["id"] as? String ?? ""] = owner }
                        for stale in operation["staleChunkIds"] as? [String] ?? [] { points[stale] = nil }
                    case "delete":
                        points = points.filter { $0.value != owner }
                    case "purgeTenant":
                        points = points.filter { !$0.value.hasPrefix(tenant + "/") }
                    default:
                        break
                    }
                }
            }
            return Response(status: .ok)
        }
        return router
    }

    func serving(_ body: (String) async throws -> Void) async throws {
        try await servingOnLoopback(router()) { port in try await body("http://127.0.0.1:\(port)/hooks/sluice") }
    }
}

/// The sinks Sluice cannot read back: a webhook, and another Sluice.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WriteOnlySinkTests {
    let files: TemporaryDirectory
    let data: TemporaryDirectory

    init() throws {
        files = try TemporaryDirectory("sluice-sink-files")
        data = try TemporaryDirectory("sluice-sink-data")
        for index in 0..<12 { _ = try files.write("acme/doc\(index).md", "# Doc \(index)\n\nabout item\(index) and more text \(index)") }
        let long = (0..<12).map { "Paragraph \($0) of the long document, with enough words to fill a chunk of its own here." }
        _ = try files.write("acme/long.md", long.joined(separator: "\n\n"))
    }

    func baseConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.dataDirectory = data.path
        configuration.embeddingDimension = 32
        configuration.chunkSize = 200
        configuration.chunkOverlap = 20
        configuration.retryDelay = .milliseconds(10)
        configuration.maxRetries = 5
        configuration.concurrency = 2
        configuration.batchSize = 4
        configuration.remoteTimeout = .seconds(5)
        return configuration
    }

    func run(_ configuration: Configuration) async throws -> (RunSummary, SluiceRuntime) {
        let runtime = try SluiceRuntime(configuration: configuration)
        let summary = try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil))
        return (summary, runtime)
    }

    func expectedPoints(_ configuration: Configuration) throws -> [String: String] {
        let chunker = MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap)
        var points: [String: String] = [:]
        for signature in try ExpectedIndex.signatures(of: files.path, chunker: chunker) {
            let key = DocumentKey(tenant: TenantID(storedRawValue: signature.tenant), docId: DocumentID(storedRawValue: signature.docId))
            points[ChunkID.string(key, ordinal: signature.ordinal)] = "\(signature.tenant)/\(signature.docId)"
        }
        return points
    }

    @Test func webhookBatchesAreSignedRetriedAndComplete() async throws {
        let receiver = WebhookReceiver(secret: "whsec-test")
        receiver.unavailableFor.withLock { $0 = 3 }
        try await receiver.serving { url in
            var configuration = baseConfiguration()
            configuration.sink = .webhook
            configuration.webhookURL = url
            configuration.webhookSecret = "whsec-test"
            let (summary, runtime) = try await run(configuration)
            #expect(summary.indexed == 13 && summary.failed == 0, "\(summary)")
            #expect(receiver.points.withLock { $0 } == (try expectedPoints(configuration)))
            let deliveries = receiver.deliveries.withLock { $0 }
            #expect(deliveries.allSatisfy { $0.signatureValid && $0.schema == "sluice.webhook.v2" })

            // Shortened and deleted documents leave nothing behind at the receiver.
            _ = try files.write("acme/long.md", "Now short.")
            try FileManager.default.removeItem(atPath: files.path + "/acme/doc3.md")
            let (second, _) = try await run(configuration)
            #expect(second.indexed == 1 && second.deleted == 1, "\(second)")
            #expect(receiver.points.withLock { $0 } == (try expectedPoints(configuration)))

            // A batch sent again carries the same Idempotency-Key, so a receiver can skip a repeat.
            receiver.refuseFirstDeliveryOfEachBatch.withLock { $0 = true }
            let operations: [SinkOperation] = [.remove(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("doc5.md")), revision: 99)]
            await #expect(throws: DeliveryError.self) { try await runtime.sink.write(operations) }
            try await runtime.sink.write(operations)
            let last = receiver.deliveries.withLock { $0.suffix(2) }
            #expect(last.count == 2 && last.first?.key == last.last?.key && !(last.first?.key.isEmpty ?? true))

            // Every body matches the documented schema.
            let problems = try await validate(receiver.bodies.withLock { $0 }, against: "docs/schemas/webhook.v2.json")
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            let located = receiver.bodies.withLock { $0 }.contains { String(decoding: $0, as: UTF8.self).contains(#""headingPath":["Doc 1"]"#) }
            #expect(located, "chunks carry their heading path")

            // Sluice cannot read a webhook back, and says so.
            await #expect(throws: SluiceError.self) { try await runtime.search(tenant: try TenantID("acme"), query: "item1", k: 1) }
            await #expect(throws: SluiceError.self) { try await SinkAudit(store: runtime.store, sink: runtime.sink).run(tenant: nil, repair: false) }
        }
    }

    /// Validates JSON documents against a schema in the repository with Python's jsonschema; returns the problems.
    func validate(_ documents: [Data], against schema: String) async throws -> [String] {
        let directory = try TemporaryDirectory("sluice-schema")
        for (index, document) in documents.enumerated() {
            try document.write(to: URL(fileURLWithPath: directory.path + "/\(index).json"))
        }
        let output = try await runPython("""
            import glob, json, sys, jsonschema
            validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            for path in sorted(glob.glob(sys.argv[2] + "/*.json")):
                for error in validator.iter_errors(json.load(open(path))):
                    print(path, error.message[:300])
            """, [QdrantTestServer.repository + "/" + schema, directory.path], needs: "jsonschema")
        let text = String(decoding: output, as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }

    @Test func anotherSluiceReceivesEverythingEvenIfItWasDownAtFirst() async throws {
        // While the central Sluice is not there, the edge keeps every change queued.
        var edge = baseConfiguration()
        edge.sink = .sluice
        edge.forwardURL = "http://127.0.0.1:9"  // the discard port: nothing listens
        edge.forwardKey = "sk-forward"
        let runtime = try SluiceRuntime(configuration: edge)
        let attempt = Task { try await Runner(runtime: runtime).run(Runner.Options(root: files.path, singleTenant: nil)) }
        // Waits for the state, not a guessed time: all queued, and deliveries failed until the breaker opened.
        #expect(try await eventually(within: .seconds(120)) {
            try await runtime.store.depth().pending == 13 && runtime.sink.deliveryGate?.blockedUntil() != nil
        })
        attempt.cancel()
        _ = try? await attempt.value
        #expect(try await runtime.store.depth().pending == 13)
        #expect(try await runtime.store.deadLetters(tenant: nil).isEmpty)

        // The central one: a live `sluice serve` with a tenant key for acme.
        var central = Configuration()
        central.dataDirectory = try TemporaryDirectory("sluice-central").path
        central.embeddingDimension = 32
        central.chunkSize = 200
        central.chunkOverlap = 20
        let centralRuntime = try SluiceRuntime(configuration: central)
        let key = try await centralRuntime.store.createKey(tenant: try TenantID("acme"), label: "edge")
        try await servingAPI(centralRuntime) { base in
            edge.forwardURL = base
            edge.forwardKey = key.secret
            let (summary, _) = try await run(edge)
            #expect(summary.indexed == 13 && summary.failed == 0, "\(summary)")
            // The central Sluice indexes what it received.
            var indexed = 0
            for _ in 0..<200 {
                indexed = try await centralRuntime.store.tenantSummary(try TenantID("acme")).indexed
                if indexed == 13 { break }
                try await Task.sleep(for: .milliseconds(50))
        }
        #expect(indexed == 13)
        #expect(try await centralRuntime.store.storedChunkSignatures().signatures
            == (try ExpectedIndex.signatures(of: files.path, chunker: centralRuntime.chunker)))
        let hits = try await centralRuntime.search(tenant: try TenantID("acme"), query: "item7", k: 1)
        #expect(hits.first?.docId == "doc7.md")

        // A deletion travels as a tombstone.
        try FileManager.default.removeItem(atPath: files.path + "/acme/doc3.md")
        let (second, _) = try await run(edge)
        #expect(second.deleted == 1 && second.failed == 0, "\(second)")
        var status: DocumentState.Status?
        for _ in 0..<200 {
            status = try await centralRuntime.store.documentState(
                DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("doc3.md")))?.status
            if status == .deleted { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status == .deleted)
        }
    }
}
