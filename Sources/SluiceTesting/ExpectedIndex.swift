import Foundation
import SluiceConnectors
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

extension DocumentStateStore {
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

/// What the index should hold for the files under a root, computed from the
/// files with the standard extractors and the given chunker.
public enum ExpectedIndex {
    /// The point ids a sink must hold for the files under `root`: one per
    /// chunk, `ChunkID` of tenant, document and ordinal.
    public static func pointIDs(of root: String, chunker: any Chunker) throws -> Set<String> {
        Set(try signatures(of: root, chunker: chunker).map { signature in
            ChunkID.string(
                DocumentKey(tenant: TenantID(storedRawValue: signature.tenant), docId: DocumentID(storedRawValue: signature.docId)),
                ordinal: signature.ordinal)
        })
    }

    /// - Parameter tenant: the single tenant when `root` is one tenant's folder;
    ///   nil when each top-level folder is a tenant.
    /// A file of a supported type that cannot be extracted is an error (a
    /// helper that dropped it would expect what Sluice drops and hide a
    /// failure), unless its path relative to `root` is in `skipped`: the files
    /// a test puts there to be skipped.
    public static func signatures(
        of root: String, chunker: any Chunker, tenant: String? = nil, skipped: Set<String> = []
    ) throws -> Set<ChunkSignature> {
        var signatures = Set<ChunkSignature>()
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        while let relative = enumerator.nextObject() as? String {
            let parts = relative.split(separator: "/").map(String.init)
            guard !parts.contains(where: { $0.hasPrefix(".") || $0.hasSuffix("~") || $0.hasSuffix(".tmp") || $0.hasSuffix(".swp") }) else {
                continue
            }
            let path = root + "/" + relative
            // Sluice never follows a symbolic link, to a file or into a folder.
            if parts.indices.contains(where: { isSymbolicLink(root + "/" + parts[...$0].joined(separator: "/")) }) { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                tenant != nil || parts.count > 1,
                let extractor = ExtractorRegistry.standard.extractor(forPath: path),
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            let text: String
            do {
                text = try extractor.extract(Array(data)).text
            } catch {
                if skipped.contains(relative) { continue }
                throw ExpectedIndexError(description: "\(relative) cannot be extracted (\(error)); name it in `skipped` if the test means it to be skipped")
            }
            let owner = tenant ?? parts[0]
            let docId = (tenant == nil ? parts.dropFirst().joined(separator: "/") : relative).precomposedStringWithCanonicalMapping
            for chunk in chunker.chunk(text) {
                signatures.insert(ChunkSignature(
                    tenant: owner, docId: docId, ordinal: chunk.ordinal, textHash: ContentHash.of(chunk.text).hex))
            }
        }
        return signatures
    }

    static func isSymbolicLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }
}

/// A file the expected index cannot account for.
public struct ExpectedIndexError: Error, CustomStringConvertible {
    public var description: String
}
