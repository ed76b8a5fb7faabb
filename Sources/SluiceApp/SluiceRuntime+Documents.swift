import SluiceConnectors
import SluiceCore
import SluiceHTTP

extension SluiceRuntime {
    /// Removes a tenant: its points from the sink first (so a failure leaves
    /// the store's record, and a retry, intact), then its documents, chunks,
    /// queue rows and file state from the store. Returns the documents removed.
    public func purge(tenant: TenantID) async throws -> Int {
        try await sink.removeTenant(tenant)
        return try await store.purge(tenant: tenant)
    }

    /// What publishing `publication` would do: new, changed, unchanged or
    /// deleted, with its chunk count and extraction warnings. Writes nothing.
    public func preview(_ publication: Publication) async throws -> Preview {
        let state = try await store.documentState(publication.key)
        let exists = state.map { $0.status != .deleted } ?? false
        guard let content = publication.content, let hash = publication.contentHash else {
            return Preview(change: exists ? "deleted" : "unchanged", chunks: 0, warnings: exists ? [] : ["there is no such document to delete"], contentHash: nil)
        }
        let change: String
        if let state, state.status == .indexed, state.contentHash == hash.hex {
            change = "unchanged"
        } else {
            change = exists ? "changed" : "new"
        }
        let extractor = publication.meta.mimeType.flatMap(extractors.extractor(forMimeType:))
            ?? extractors.extractor(forPath: publication.key.docId.rawValue) ?? PlainTextExtractor()
        var warnings: [String] = []
        if let mime = publication.meta.mimeType, extractors.extractor(forMimeType: mime) == nil {
            warnings.append("mimeType \(mime) is not one Sluice extracts; the content is read as \(extractor.mimeType)")
        }
        let chunker = self.chunker
        let chunks: Int
        do {
            let extracted = try await BlockingIO.run { try extractor.extract(content) }
            warnings += extracted.warnings
            chunks = chunker.chunk(extracted.text).count
        } catch let error as SluiceError where error.code == .extraction {
            warnings.append("it would be skipped: \(error.message)")
            chunks = 0
        }
        return Preview(change: change, chunks: chunks, warnings: warnings, contentHash: hash.hex)
    }
}
