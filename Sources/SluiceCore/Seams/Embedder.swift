/// Turns texts into vectors.
///
/// Contract: `embed` returns exactly one vector of `dimension` floats per
/// input text, in order, L2-normalized (so cosine similarity is a dot
/// product). Callers batch up to SLUICE_EMBED_BATCH_SIZE texts per call.
/// Throws `SluiceError` with code `.embedding`, or `DeliveryError` from a
/// remote service (classified: `isRetryable`; `.circuitOpen` when nothing was
/// sent). Cancellation throws `CancellationError`.
public protocol Embedder: Sendable {
    /// Identifies the model; with `dimension` it keys the embedding cache.
    var identity: String { get }
    var dimension: Int { get }
    func embed(_ texts: [String]) async throws -> [[Float]]
    /// The delivery controls of a remote embedder; nil for a local one.
    var deliveryGate: DeliveryGate? { get }
}

extension Embedder {
    public var deliveryGate: DeliveryGate? { nil }

    /// The embedding cache's model key.
    public var modelKey: String { "\(identity)/\(dimension)" }
}
