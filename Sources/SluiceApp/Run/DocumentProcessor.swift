import SluiceConnectors
import SluiceCore
import SluiceWatch

/// Turns a leased change into a result or into chunks awaiting vectors:
/// reads the file (never through a link that leads out of the tenant's
/// folder), enforces the size cap, detects unchanged content, extracts and
/// chunks. Blocking: run it through `BlockingIO`.
struct DocumentProcessor: Sendable {
    enum Prepared: Sendable {
        case finished(DocumentResult)
        /// Chunks with their text hashes; vectors are filled in later.
        case chunked(contentHash: ContentHash, title: String?, chunks: [IndexedChunk])
    }

    let extractors: ExtractorRegistry
    let chunker: any Chunker
    let maxFileBytes: Int
    let settingsFingerprint: String

    /// Bytes the document will hold in memory while processed (for the budget).
    func memoryEstimate(_ lease: Lease) -> Int {
        guard lease.kind == .upsert, case .file(_, let path) = lease.origin,
            let status = try? FileSystem.status(path, followLinks: true)
        else { return 0 }
        return Int(min(status.stat.size, Int64(maxFileBytes)))
    }

    func prepare(_ lease: Lease, indexed: DocumentState?) throws -> Prepared {
        guard lease.kind == .upsert else { return .finished(.deleted) }
        guard case .file(let root, let path) = lease.origin else {
            throw SluiceError(.internal, "document \(lease.key) has no stored content to index")
        }
        guard let status = try FileSystem.status(path) else { return .finished(.deleted) }
        var size = status.stat.size
        switch status.type {
        case .regular:
            break
        case .symlink:
            guard let target = FileSystem.realPath(path) else { return .finished(.deleted) }
            guard FileSystem.isWithin(target, root: root) else {
                return .finished(.skipped(
                    contentHash: nil,
                    reason: "symbolic link leads outside the tenant folder (to \(target)); links are never followed out of the root"))
            }
            guard let resolved = try FileSystem.status(target), resolved.type == .regular else { return .finished(.deleted) }
            size = resolved.stat.size
        case .directory, .other:
            return .finished(.deleted)
        }
        guard let extractor = extractors.extractor(forPath: path) else {
            return .finished(.skipped(contentHash: lease.contentHash, reason: extractors.unsupportedReason(forPath: path)))
        }
        if size > Int64(maxFileBytes) {
            return .finished(.skipped(
                contentHash: lease.contentHash,
                reason: "larger than the \(ByteCount(maxFileBytes)) limit (SLUICE_MAX_FILE_BYTES); raise it or exclude the file"))
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path)
        } catch let error as SluiceError where error.code == .notFound {
            return .finished(.deleted)
        }
        let hash = ContentHash.of(bytes)
        if let indexed, indexed.status == .indexed, indexed.contentHash == hash.hex,
            indexed.settingsFingerprint == settingsFingerprint
        {
            return .finished(.unchanged(contentHash: hash))
        }
        let extracted: ExtractedText
        do {
            extracted = try extractor.extract(bytes)
        } catch let error as SluiceError where error.code == .extraction {
            return .finished(.skipped(contentHash: hash, reason: error.message))
        }
        let chunks = chunker.chunk(extracted.text).map { chunk in
            IndexedChunk(ordinal: chunk.ordinal, text: chunk.text, textHash: ContentHash.of(chunk.text), vector: nil)
        }
        return .chunked(contentHash: hash, title: extracted.title, chunks: chunks)
    }
}

/// A byte count for people: "50 MiB".
struct ByteCount: CustomStringConvertible {
    let bytes: Int
    init(_ bytes: Int) { self.bytes = bytes }

    var description: String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        return value == value.rounded() ? "\(Int(value)) \(units[unit])" : String(format: "%.1f %@", value, units[unit])
    }
}
