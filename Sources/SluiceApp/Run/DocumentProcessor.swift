import Foundation
import SluiceConnectors
import SluiceCore
import SluiceWatch

/// Turns a leased change into a result or into chunks awaiting vectors:
/// reads the file (opened beneath the tenant's folder, never through a
/// link), enforces the size cap, detects unchanged content, extracts and
/// chunks. Blocking: run it through `BlockingIO`.
struct DocumentProcessor: Sendable {
    enum Prepared: Sendable {
        case finished(DocumentResult)
        /// Chunks with their text hashes; vectors are filled in later. `settings`: the document's settings fingerprint.
        case chunked(contentHash: ContentHash, title: String?, chunks: [IndexedChunk], settings: String, notes: [String])
        /// The file is still being written: try again at this time.
        case postponed(until: Timestamp)
        /// For a sink that takes content (another Sluice): the text and its type, not chunked here.
        case content(contentHash: ContentHash, text: String, mimeType: String, settings: String)
    }

    let extractors: ExtractorRegistry
    let chunker: any Chunker
    let maxFileBytes: Int
    /// How long `prepare` may take before the worker gives up on the document (SLUICE_EXTRACT_TIMEOUT_SECONDS).
    var extractTimeout: Duration = .seconds(60)
    /// Text of one document past this is skipped (SLUICE_MAX_TEXT_BYTES); converters stop at it themselves.
    var maxTextBytes = 64 << 20
    let settingsFingerprint: String
    let clock: any SluiceClock
    /// A file modified less than this long ago is still being written: it waits.
    let stabilityWindow: Duration
    /// The sink takes content (another Sluice extracts, chunks and embeds it): hand over text, not chunks.
    var deliversContent = false
    var metrics = SluiceMetrics.disabled

    /// Bytes the document will hold in memory while processed (for the budget).
    func memoryEstimate(_ lease: Lease) -> Int {
        guard lease.kind == .upsert, case .file(let file) = lease.origin,
            let status = try? FileSystem.status(file.path)
        else { return 0 }
        return Int(min(status.stat.size, Int64(maxFileBytes)))
    }

    /// Prepares a leased document; also returns what was seen of its file, for the file state.
    /// `storedContent` is the content of a document published over the API.
    func prepare(_ lease: Lease, indexed: DocumentState?, storedContent: [UInt8]? = nil) throws -> (Prepared, FileRecord?) {
        guard lease.kind == .upsert else {
            if case .file = lease.origin { return (.finished(.deleted), .gone) }
            return (.finished(.deleted), nil)
        }
        let location: FileLocation
        switch lease.origin {
        case .api(let meta):
            return (try prepare(lease, meta: meta, content: storedContent, indexed: indexed), nil)
        case .file(let file):
            location = file
        }
        let path = location.path
        // Files modified at or after this instant are "racy" for the next scan and hashed again.
        let observedAt = clock.now().milliseconds * 1_000_000
        func seen(_ stat: FileStat, _ hash: ContentHash) -> FileRecord {
            .seen(FileState(
                key: lease.key, root: location.scanRoot, tenantDirectory: location.tenantDirectory, path: path,
                stat: stat, contentHash: hash, recordedAtNanos: observedAt))
        }
        let file: OpenedFile
        switch try FileSystem.openFile(path, beneath: location.tenantDirectory) {
        case .opened(let opened):
            file = opened
        case .missing, .notRegularFile:
            // A worker on a host where the watched folder is not (with a shared store, any host can
            // lease a file change) must not take every file for deleted: the change waits for one that has it.
            if !FileManager.default.fileExists(atPath: location.scanRoot) {
                throw SluiceError(
                    .io,
                    "the folder \(location.scanRoot) is not on this host: workers read a file change where it was seen, so run them where that folder is mounted at the same path",
                    isRetryable: true)
            }
            return (.finished(.deleted), .gone)
        case .symbolicLink:
            // The link's own status, for the file state; its target is never looked at, nor named.
            let stat = (try? FileSystem.status(path))??.stat ?? FileStat(size: 0, mtimeNanos: 0, ctimeNanos: 0, inode: 0)
            return (
                .finished(.skipped(contentHash: nil, reason: DocumentProcessor.symbolicLinkReason)),
                seen(stat, Reconciler.symbolicLinkHash)
            )
        }
        let stat = try file.status().stat
        let age = Duration.nanoseconds(observedAt - stat.mtimeNanos)
        if age < stabilityWindow && age >= .zero {
            return (.postponed(until: clock.now() + (stabilityWindow - age)), nil)
        }
        let extractor = extractors.extractor(forPath: path)
        // A text format's text is about as large as its file: one over the text cap is not read.
        let skipReason = if extractor == nil {
            extractors.unsupportedReason(forPath: path)
        } else if stat.size > Int64(maxFileBytes) {
            DocumentProcessor.tooLargeReason(maxFileBytes)
        } else if extractor?.isConverter == false && stat.size > Int64(maxTextBytes) {
            ExtractionLimits.textTooLarge(maxTextBytes).message
        } else {
            String?.none
        }
        guard let extractor, skipReason == nil else {
            // Recorded without reading more than a streamed hash.
            var buffer: [UInt8] = []
            let hash = try lease.contentHash ?? file.hash(buffer: &buffer)
            return (.finished(.skipped(contentHash: hash, reason: skipReason ?? "")), seen(stat, hash))
        }
        let bytes: [UInt8]
        do {
            bytes = try file.readAll(limit: maxFileBytes)
        } catch let error as SluiceError where error.code == .tooLarge {
            // It grew past the cap while being read.
            let hash = ContentHash.of("oversized:\(stat.size)")
            return (.finished(.skipped(contentHash: hash, reason: DocumentProcessor.tooLargeReason(maxFileBytes))), seen(stat, hash))
        }
        let hash = ContentHash.of(bytes)
        return (try prepare(bytes, hash: hash, indexed: indexed, extractor: extractor, mimeType: extractor.mimeType, title: nil), seen(stat, hash))
    }

    /// A document published over the API: its type comes from `meta.mimeType`,
    /// else from the docId's extension, else it is plain text.
    func prepare(_ lease: Lease, meta: DocumentMeta, content: [UInt8]?, indexed: DocumentState?) throws -> Prepared {
        guard let content else {
            // A skipped document keeps no content: written again (a sink's repair), it is skipped again.
            if let indexed, indexed.status == .skipped, let hash = lease.contentHash, indexed.contentHash == hash.hex {
                return .finished(.skipped(contentHash: hash, reason: indexed.reason ?? ""))
            }
            throw SluiceError(.storage, "the content of \(lease.key) is no longer stored; publish the document again")
        }
        let extractor = meta.mimeType.flatMap(extractors.extractor(forMimeType:))
            ?? extractors.extractor(forPath: lease.key.docId.rawValue) ?? PlainTextExtractor()
        return try prepare(
            content, hash: ContentHash.of(content), indexed: indexed, extractor: extractor,
            mimeType: meta.mimeType ?? extractor.mimeType, title: meta.title)
    }

    /// What every document's content goes through, read from a file or stored:
    /// unchanged with the current settings, or handed over as text (a sink
    /// that takes content), or extracted and chunked (`title` wins over the
    /// extracted one). Content that cannot be extracted is skipped with the reason.
    func prepare(
        _ bytes: [UInt8], hash: ContentHash, indexed: DocumentState?, extractor: any Extractor, mimeType: String, title: String?
    ) throws -> Prepared {
        if let indexed, indexed.status == .indexed, indexed.contentHash == hash.hex,
            indexed.settingsFingerprint == fingerprint(of: extractor)
        {
            return .finished(.unchanged(contentHash: hash))
        }
        if deliversContent {
            return try content(bytes, hash: hash, mimeType: mimeType, settings: fingerprint(of: extractor))
        }
        var extracted: ExtractedText
        let extracting = ContinuousClock.now
        do {
            extracted = try extractor.extract(bytes)
        } catch let error as SluiceError where error.code == .extraction {
            return .finished(.skipped(contentHash: hash, reason: error.message))
        }
        // U+0000 (a NUL past the binary sniff, a JSON "\u0000") carries no meaning, and PostgreSQL's
        // text cannot hold it: one would fail the completion of its whole batch, other tenants'
        // documents included. A space keeps the UTF-8 offsets of the places.
        extracted.text = DocumentProcessor.withoutNUL(extracted.text)
        extracted.title = extracted.title.map(DocumentProcessor.withoutNUL)
        if extracted.text.utf8.count > maxTextBytes {
            return .finished(.skipped(contentHash: hash, reason: ExtractionLimits.textTooLarge(maxTextBytes).message))
        }
        let chunking = ContinuousClock.now
        metrics.stage("extract", chunking - extracting)
        defer { metrics.stage("chunk", ContinuousClock.now - chunking) }
        let chunks = chunker.chunk(extracted).map { chunk in
            IndexedChunk(ordinal: chunk.ordinal, text: chunk.text, textHash: ContentHash.of(chunk.text), vector: nil, location: chunk.location)
        }
        return .chunked(contentHash: hash, title: title.map(DocumentProcessor.withoutNUL) ?? extracted.title, chunks: chunks, settings: fingerprint(of: extractor), notes: extracted.warnings)
    }

    /// `text` with each U+0000 replaced by a space (the same UTF-8 length).
    static func withoutNUL(_ text: String) -> String {
        // memchr: a byte at a time through `contains` was 1.5% of a cold onboarding.
        let hasNUL = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false
        } ?? text.utf8.contains(0)
        guard hasNUL else { return text }
        return String(decoding: text.utf8.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The settings fingerprint of a document `extractor` read.
    func fingerprint(of extractor: any Extractor) -> String {
        DocumentProcessor.fingerprint(settingsFingerprint, extractor: extractor.fingerprint, deliversContent: deliversContent)
    }

    /// A document's settings fingerprint: the run's (embedder, chunker, sink)
    /// and the type and version of the extractor that read it, so a new
    /// version of one extractor re-reads only its documents; for a sink that
    /// takes content (another Sluice extracts it), the run's alone.
    static func fingerprint(_ settings: String, extractor: String, deliversContent: Bool) -> String {
        deliversContent ? settings : settings + "|" + extractor
    }
}

extension DocumentProcessor {
    /// Why a symbolic link is not indexed. It never names the target: a
    /// tenant could otherwise learn what lies elsewhere on the machine.
    static let symbolicLinkReason = "symbolic link: Sluice never follows links; put the file itself in the tenant's folder"

    static func tooLargeReason(_ maxFileBytes: Int) -> String {
        "larger than the \(ByteCount(maxFileBytes)) limit (SLUICE_MAX_FILE_BYTES); raise it or exclude the file"
    }

    /// Content for a sink that takes it: text, which the document format carries as a string.
    func content(_ bytes: [UInt8], hash: ContentHash, mimeType: String, settings: String) throws -> Prepared {
        do {
            return .content(contentHash: hash, text: try TextDecoding.decode(bytes), mimeType: mimeType, settings: settings)
        } catch let error as SluiceError where error.code == .extraction {
            return .finished(.skipped(contentHash: hash, reason: error.message))
        }
    }
}
