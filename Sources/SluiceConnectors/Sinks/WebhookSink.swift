import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import SluiceCore

/// POSTs JSON batches of operations to a URL: documents with their chunks
/// and vectors, tombstones, and tenant purges, in the versioned body
/// documented in docs/schemas/webhook.v2.json.
///
/// - Signed as Standard Webhooks (standardwebhooks.com) sign, with
///   SLUICE_WEBHOOK_SECRET (unsigned without one): `webhook-id` (the batch
///   id), `webhook-timestamp` (this attempt's Unix seconds) and
///   `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
///   so receivers can refuse a replayed request by its age. A secret
///   `whsec_<base64>` is keyed by its decoded bytes, as the scheme's
///   libraries expect; any other secret by its UTF-8 bytes.
/// - `X-Sluice-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body alone)
///   is still sent, deprecated: it proves nothing about when a request was
///   made, and goes in the next version.
/// - `Idempotency-Key` names the batch by its operations (tenant, docId,
///   revision, kind): a retried batch carries the same key, so a receiver
///   that already applied it can answer 2xx without applying it again.
/// - Any 2xx confirms the batch. 429 and 5xx are retried (Retry-After is
///   honored); another 4xx sends the batch's documents to dead letters with
///   the receiver's answer.
/// - A request holds whole documents, up to `chunksPerRequest` chunks (a
///   larger document goes alone).
public struct WebhookSink: Sink {
    public static let schema = "sluice.webhook.v2"

    public let url: String
    public let chunksPerRequest: Int
    public let gate: DeliveryGate
    private let secret: String?
    private let client: HTTPClient
    private let timeout: Duration

    /// The gate names the destination without credentials or query.
    public var description: String { gate.destination }
    /// The URL may hold a token, so the fingerprint keeps only its hash.
    public var identity: String { "webhook:" + ContentHash.of(url).hex.prefix(16) }
    public var deliveryGate: DeliveryGate? { gate }
    public var needs: SinkInput { .vectors }
    public var reader: (any SinkReader)? { nil }

    public init(
        url: String, secret: String?, chunksPerRequest: Int = 256, gate: DeliveryGate, client: HTTPClient = RemoteHTTP.client,
        timeout: Duration = .seconds(30)
    ) throws {
        _ = try RemoteHTTP.baseURL(url, option: "--webhook-url", example: "e.g. https://example.com/hooks/sluice")
        self.url = url
        self.secret = secret.flatMap { $0.isEmpty ? nil : $0 }
        self.chunksPerRequest = max(1, chunksPerRequest)
        self.gate = gate
        self.client = client
        self.timeout = timeout
    }

    // MARK: The body, schema sluice.webhook.v2

    struct Body: Encodable {
        var schema = WebhookSink.schema
        var batchId: String
        var operations: [Operation]
    }

    struct Operation: Encodable {
        /// upsert, delete or purgeTenant.
        var op: String
        var tenant: String
        var docId: String?
        var revision: Int64?
        var contentHash: String?
        var title: String?
        var attributes: [String: String]?
        var chunks: [WithLocation<Chunk>]?
        /// Chunk ids of an earlier, longer version that the receiver should drop.
        var staleChunkIds: [String]?
    }

    struct Chunk: Codable {
        var id: String
        var ordinal: Int
        var text: String
        var textHash: String
        var vector: [Float]
    }

    public func write(_ operations: [SinkOperation]) async throws {
        var batch: [Operation] = []
        var chunks = 0
        for operation in operations {
            let encoded = try WebhookSink.operation(operation)
            let size = encoded.chunks?.count ?? 0
            if !batch.isEmpty && chunks + size > chunksPerRequest {
                try await post(batch)
                batch = []
                chunks = 0
            }
            batch.append(encoded)
            chunks += size
        }
        if !batch.isEmpty { try await post(batch) }
    }

    public func removeTenant(_ tenant: TenantID) async throws {
        try await post([Operation(op: "purgeTenant", tenant: tenant.rawValue)])
    }

    static func operation(_ operation: SinkOperation) throws -> Operation {
        switch operation {
        case .upsert(let document):
            let key = document.key
            return Operation(
                op: "upsert", tenant: key.tenant.rawValue, docId: key.docId.rawValue, revision: document.revision,
                contentHash: document.contentHash.hex, title: document.title, attributes: document.attributes,
                chunks: try document.chunks.map { chunk in
                    guard let vector = chunk.vector else {
                        throw SluiceError(.internal, "chunk \(chunk.ordinal) of \(key) reached the webhook without its vector")
                    }
                    return WithLocation(
                        Chunk(
                            id: ChunkID.string(key, ordinal: chunk.ordinal), ordinal: chunk.ordinal, text: chunk.text,
                            textHash: chunk.textHash.hex, vector: vector),
                        chunk.location)
                },
                staleChunkIds: document.staleOrdinals.map { ChunkID.string(key, ordinal: $0) })
        case .remove(let key, let revision):
            return Operation(op: "delete", tenant: key.tenant.rawValue, docId: key.docId.rawValue, revision: revision)
        }
    }

    /// The idempotency key: SHA-256 of what the batch does, the same on every retry.
    static func batchID(_ operations: [Operation]) -> String {
        ContentHash.of(operations.map { "\($0.op)\u{0}\($0.tenant)\u{0}\($0.docId ?? "")\u{0}\($0.revision ?? 0)\u{1}" }.joined()).hex
    }

    /// The deprecated `X-Sluice-Signature` header's value for `body`.
    public static func signature(_ body: [UInt8], secret: String) -> String {
        "sha256=" + Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))).hexString
    }

    /// The `webhook-signature` header's value (Standard Webhooks, version 1)
    /// for the request `id` sent at `timestamp` (Unix seconds) with `body`.
    public static func standardSignature(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: signingKey(secret))).base64EncodedString()
    }

    /// `whsec_<base64>` is the scheme's own form of a secret: its decoded bytes are the key.
    static func signingKey(_ secret: String) -> SymmetricKey {
        if secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))), !key.isEmpty {
            return SymmetricKey(data: key)
        }
        return SymmetricKey(data: Array(secret.utf8))
    }

    private func post(_ operations: [Operation]) async throws {
        let batchID = WebhookSink.batchID(operations)
        let body = Array(try JSONEncoder.stable.encode(Body(batchId: batchID, operations: operations)))
        var headers = [("Idempotency-Key", batchID), ("User-Agent", SluiceVersion.userAgent)]
        if let secret {
            let timestamp = Int64(Date().timeIntervalSince1970)
            headers += [
                ("webhook-id", batchID), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", WebhookSink.standardSignature(id: batchID, timestamp: timestamp, body: body, secret: secret)),
                ("X-Sluice-Signature", WebhookSink.signature(body, secret: secret)),
            ]
        }
        let request = RemoteHTTP.jsonRequest(url, method: .POST, body: body, headers: headers)
        _ = try await RemoteHTTP.send(request, through: gate, client: client, timeout: timeout, maxResponseBytes: 1 << 20)
    }
}
