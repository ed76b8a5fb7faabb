import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore

/// An OpenAI-compatible embeddings service: `POST {base}/embeddings` with
/// `{"model", "input": [texts]}`, as OpenAI, Ollama, vLLM and
/// text-embeddings-inference serve it.
///
/// Every call goes through the destination's `DeliveryGate` (rate cap,
/// adaptive concurrency, circuit breaker, Retry-After). Failures come back as
/// `DeliveryError` (classified: retryable or not) and the vectors are checked
/// against the configured dimension, so a model swap cannot mix vectors.
/// The API key travels only in the Authorization header and never appears in
/// a message.
public struct OpenAIEmbedder: Embedder {
    public let model: String
    public let dimension: Int
    /// The model and the service that serves it (two services may give one
    /// model name to different weights), without the URL itself, which may hold a secret.
    public var identity: String { "openai:\(model)@\(ContentHash.of(endpoint).hex.prefix(12))" }
    /// Where requests go, e.g. `http://127.0.0.1:11434/v1/embeddings`.
    public let endpoint: String
    public let gate: DeliveryGate
    public var deliveryGate: DeliveryGate? { gate }
    private let apiKey: String?
    private let client: HTTPClient
    private let timeout: Duration

    /// - Parameter baseURL: the API root, e.g. `https://api.openai.com/v1` (`/embeddings` is appended).
    public init(
        baseURL: String, model: String, dimension: Int, apiKey: String?, gate: DeliveryGate,
        client: HTTPClient = RemoteHTTP.client, timeout: Duration = .seconds(60)
    ) throws {
        let base = try RemoteHTTP.baseURL(baseURL, option: "--embedder-url", example: "give the API root, e.g. http://127.0.0.1:11434/v1")
        guard !model.isEmpty else {
            throw SluiceError(.configuration, "--embedder-model is required with --embedder openai (for example text-embedding-3-small)")
        }
        self.endpoint = base.hasSuffix("/embeddings") ? base : base + "/embeddings"
        self.model = model
        self.dimension = dimension
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.gate = gate
        self.client = client
        self.timeout = timeout
    }

    private struct RequestBody: Encodable {
        var model: String
        var input: [String]
        var encoding_format = "float"
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            var index: Int?
            var embedding: [Float]
        }
        var data: [Item]
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let destination = gate.destination
        let body = try await RemoteHTTP.send(
            RemoteHTTP.jsonRequest(
                endpoint, method: .POST, body: Array(try JSONEncoder().encode(RequestBody(model: model, input: texts))),
                headers: apiKey.map { [("Authorization", "Bearer \($0)")] } ?? []),
            through: gate, client: client, timeout: timeout)
        let decoded: ResponseBody
        do {
            decoded = try JSONDecoder().decode(ResponseBody.self, from: Data(body.readableBytesView))
        } catch {
            throw DeliveryError(.rejected, destination: destination, "\(destination) answered with something that is not an embeddings response", response: String(buffer: body))
        }
        let vectors = decoded.data.enumerated()
            .sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }.map(\.element.embedding)
        guard vectors.count == texts.count else {
            throw SluiceError(.embedding, "\(destination) returned \(vectors.count) vectors for \(texts.count) texts")
        }
        if let wrong = vectors.first(where: { $0.count != dimension }) {
            throw SluiceError(
                .embedding,
                "\(destination) returned \(wrong.count)-dimensional vectors for model \(model), but the index is set up for \(dimension); set SLUICE_EMBED_DIMENSION=\(wrong.count) (the index is then rebuilt for the new model)")
        }
        return vectors.map { (vector: [Float]) -> [Float] in
            var vector = vector
            VectorMath.normalize(&vector)
            return vector
        }
    }
}
