import SluiceConnectors
import SluiceCore
import SluicePostgres

/// Where the queue and document state live.
public enum StoreTarget: Sendable, Equatable {
    /// The SQLite file in the data directory (the default).
    case sqlite(path: String)
    /// A PostgreSQL database shared by any number of processes.
    case postgres(PostgresLocation)
}

extension StoreTarget: CustomStringConvertible {
    /// The SQLite file's path, or the PostgreSQL location without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}

/// Where indexed documents go, with what that destination needs: the one
/// form of the sink settings the rest of Sluice reads.
public enum SinkTarget: Sendable, Equatable {
    /// The built-in index in the store.
    case embedded
    case qdrant(url: String, collection: String, apiKey: String?, payload: PayloadLayout)
    case webhook(url: String, secret: String?)
    /// Another Sluice's ingestion API.
    case sluice(url: String, key: String?)
}

/// Which embedder, with what it needs.
public enum EmbedderTarget: Sendable, Equatable {
    /// The built-in hashing embedder.
    case hashing(dimension: Int)
    /// An OpenAI-compatible `/v1/embeddings` service.
    case openai(url: String, model: String, apiKey: String?, dimension: Int)
}

extension Configuration {
    /// The store settings as one target; a URL that is not a good postgres:// one is a configuration error saying why.
    public var storeTarget: StoreTarget {
        get throws {
            guard let url = storeURL, !url.isEmpty else { return .sqlite(path: storePath) }
            return .postgres(try PostgresLocation(url: url))
        }
    }

    /// The sink settings as one destination; a kind without what it needs is
    /// a configuration error saying which setting to give.
    public var sinkTarget: SinkTarget {
        get throws {
            func required(_ value: String?, _ message: String) throws -> String {
                guard let value, !value.isEmpty else { throw SluiceError(.configuration, message) }
                return value
            }
            switch sink {
            case .embedded:
                return .embedded
            case .qdrant:
                let url = try required(qdrantURL, "--sink qdrant needs --qdrant-url (SLUICE_QDRANT_URL), e.g. http://127.0.0.1:6333")
                return .qdrant(url: url, collection: qdrantCollection, apiKey: qdrantAPIKey, payload: qdrantPayload)
            case .webhook:
                return .webhook(url: try required(webhookURL, "--sink webhook needs --webhook-url (SLUICE_WEBHOOK_URL)"), secret: webhookSecret)
            case .sluice:
                let url = try required(
                    forwardURL, "--sink sluice needs --forward-url (SLUICE_FORWARD_URL), or write --sink sluice+http://host:port")
                return .sluice(url: url, key: forwardKey)
            }
        }
    }

    /// The embedder settings as one embedder; `openai` without its URL or model is a configuration error.
    public var embedderTarget: EmbedderTarget {
        get throws {
            switch embedder {
            case .hashing:
                return .hashing(dimension: embeddingDimension)
            case .openai:
                guard let url = embedderURL, !url.isEmpty, let model = embedderModel, !model.isEmpty else {
                    throw SluiceError(
                        .configuration, "--embedder openai needs --embedder-url (SLUICE_EMBEDDER_URL) and --embedder-model (SLUICE_EMBEDDER_MODEL)")
                }
                return .openai(url: url, model: model, apiKey: embedderAPIKey, dimension: embeddingDimension)
            }
        }
    }
}
