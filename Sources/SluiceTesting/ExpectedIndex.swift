import Foundation
import SluiceCore

/// One stored or expected chunk, compared as a set.
public struct ChunkSignature: Hashable, Sendable, CustomStringConvertible {
    public var tenant: String
    public var docId: String
    public var ordinal: Int
    public var textHash: String

    public init(tenant: String, docId: String, ordinal: Int, textHash: String) {
        self.tenant = tenant
        self.docId = docId
        self.ordinal = ordinal
        self.textHash = textHash
    }

    public init(_ chunk: ExportedChunk) {
        self.init(tenant: chunk.tenant, docId: chunk.docId, ordinal: chunk.ordinal, textHash: chunk.textHash)
    }

    public var description: String { "\(tenant)/\(docId)#\(ordinal)" }
}

extension IndexStore {
    /// Every stored chunk's signature, and how many rows there were (to catch duplicates).
    public func storedChunkSignatures(tenant: TenantID? = nil) async throws -> (signatures: Set<ChunkSignature>, rows: Int) {
        var signatures = Set<ChunkSignature>()
        var rows = 0
        try await exportChunks(tenant: tenant, batchSize: 5000) { chunks in
            rows += chunks.count
            for chunk in chunks { signatures.insert(ChunkSignature(chunk)) }
        }
        return (signatures, rows)
    }
}
