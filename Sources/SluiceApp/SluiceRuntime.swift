import Foundation
import Logging
import SluiceConnectors
import SluiceCore
import SluiceSQLite

/// The composition root: turns a `Configuration` into the store, embedder,
/// chunker and extractors that every command and test uses.
public final class SluiceRuntime: Sendable {
    public let configuration: Configuration
    public let store: SQLiteStore
    public let embedder: any Embedder
    public let chunker: any Chunker
    public let extractors: ExtractorRegistry
    public let clock: any SluiceClock
    public let logger: Logger

    /// Opens the store in the configured data directory, creating it if needed.
    public init(
        configuration: Configuration, clock: any SluiceClock = SystemClock(), embedder: (any Embedder)? = nil,
        logger: Logger = Logger(label: "sluice")
    ) throws {
        try configuration.validate()
        try DataDirectory.prepare(configuration.absoluteDataDirectory)
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.store = try SQLiteStore(path: configuration.storePath, clock: clock, options: configuration.storeOptions)
        self.embedder = embedder ?? HashingEmbedder(dimension: configuration.embeddingDimension)
        self.chunker = MarkdownChunker(targetSize: configuration.chunkSize, overlap: configuration.chunkOverlap)
        self.extractors = .standard
    }

    /// Identifies the embedder and chunker settings; documents indexed under
    /// another fingerprint are re-indexed rather than mixed.
    public var settingsFingerprint: String { "\(embedder.modelKey)|\(chunker.fingerprint)" }

    /// Embeds a search query with the configured embedder and searches one tenant.
    public func search(tenant: TenantID, query: String, k: Int) async throws -> [SearchHit] {
        guard let vector = try await embedder.embed([query]).first else { return [] }
        return try await store.search(tenant: tenant, vector: vector, modelKey: embedder.modelKey, k: k)
    }
}
