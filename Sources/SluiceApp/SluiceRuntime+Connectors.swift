import Logging
import SluiceConnectors
import SluiceCore

/// The embedder and the sink the configuration names, each remote one with the delivery controls of its destination.
extension SluiceRuntime {
    /// The configured embedder; a remote one gets the delivery controls of its destination.
    static func makeEmbedder(_ configuration: Configuration, clock: any SluiceClock, logger: Logger, metrics: SluiceMetrics) throws -> any Embedder {
        switch try configuration.embedderTarget {
        case .hashing(let dimension):
            return HashingEmbedder(dimension: dimension)
        case .openai(let url, let model, let apiKey, let dimension):
            let gate = gate("embedder", "the embedder at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics)
            return try OpenAIEmbedder(
                baseURL: url, model: model, dimension: dimension, apiKey: apiKey, gate: gate, timeout: configuration.remoteTimeout)
        }
    }

    /// The delivery controls of one remote destination, logging when its breaker
    /// opens and closes: `name` labels its metrics, `destination` says it in messages.
    static func gate(
        _ name: String, _ destination: String, _ configuration: Configuration, clock: any SluiceClock, logger: Logger, metrics: SluiceMetrics
    ) -> DeliveryGate {
        DeliveryGate(name: name, destination: destination, settings: configuration.remoteGateSettings, clock: clock) { event in
            switch event {
            case .request(let status):
                metrics.remoteRequest(destination: name, status: status)
            case .opened(let until, let reopened):
                logger.warning(
                    "\(destination) \(reopened ? "still fails" : "failed repeatedly"): circuit open, nothing is sent until the next probe; work stays queued",
                    metadata: ["destination": "\(name)", "probeAt": "\(until)"])
            case .closed:
                logger.notice("\(destination) answers again: circuit closed", metadata: ["destination": "\(name)"])
            }
        }
    }

    /// The configured sink; a remote one gets the delivery controls of its destination.
    static func makeSink(
        _ configuration: Configuration, store: any SluiceStore, embedder: any Embedder, clock: any SluiceClock, logger: Logger,
        metrics: SluiceMetrics
    ) throws -> any Sink {
        switch try configuration.sinkTarget {
        case .embedded:
            if let missing = try configuration.missingSink { return MissingSink(error: missing) }
            guard let index = store as? any VectorIndex & DocumentStateStore else {
                throw SluiceError(.configuration, "this store keeps no vectors; choose a remote sink (--sink qdrant, webhook or sluice)")
            }
            return EmbeddedSink(store: index, modelKey: embedder.modelKey)
        case .qdrant(let url, let collection, let apiKey, let payload):
            return try QdrantSink(
                url: url, collection: collection, dimension: embedder.dimension, apiKey: apiKey,
                pointsPerRequest: configuration.sinkBatchPoints, layout: payload,
                gate: gate("qdrant", "qdrant at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
        case .webhook(let url, let secret):
            return try WebhookSink(
                url: url, secret: secret, chunksPerRequest: configuration.sinkBatchPoints,
                gate: gate("webhook", "the webhook at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
        case .sluice(let url, let key):
            return try ForwardSink(
                url: url, key: key,
                gate: gate("sluice", "the Sluice at \(Configuration.displayURL(url))", configuration, clock: clock, logger: logger, metrics: metrics),
                timeout: configuration.remoteTimeout)
        }
    }
}

/// No sink, for a command that uses only the store (`status`, `keys`, dead
/// letters) with a PostgreSQL store and no remote sink configured: whatever
/// would write or read vectors fails with `error`, which says what to configure.
struct MissingSink: Sink {
    let error: SluiceError
    var description: String { "none configured" }
    var identity: String { "" }
    var deliveryGate: DeliveryGate? { nil }
    var needs: SinkInput { .vectors }
    var reader: (any SinkReader)? { nil }
    func write(_ operations: [SinkOperation]) async throws { throw error }
    func removeTenant(_ tenant: TenantID) async throws { throw error }
}
