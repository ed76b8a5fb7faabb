import SluiceCore

/// Heading- and paragraph-aware chunking, deterministic, working on UTF-8
/// bytes for speed.
///
/// Text is split into blocks: headings (`#` to `######`), fenced code blocks
/// and paragraphs (separated by blank lines). Blocks are packed into chunks
/// of about `targetSize` characters (Unicode scalars). A heading starts a new
/// chunk once the current one holds at least a third of the target, so
/// sections stay apart while tiny ones merge. A block longer than the target
/// is cut at line ends, then sentence ends, then spaces. Consecutive chunks
/// of one section share an overlap of about `overlap` characters, cut at a
/// word boundary. Because packing runs from the start, editing the end of a
/// document leaves its earlier chunks (and their cached vectors) unchanged.
public struct MarkdownChunker: Chunker {
    public let targetSize: Int
    public let overlap: Int

    public init(targetSize: Int = 1000, overlap: Int = 100) {
        self.targetSize = max(50, targetSize)
        self.overlap = max(0, min(overlap, self.targetSize / 2))
    }

    /// v2: chunks carry their location, and start at pages, slides and sheets.
    public var fingerprint: String { "markdown-v2:\(targetSize):\(overlap)" }

    struct Block {
        var range: Range<Int>
        var scalars: Int
        var isHeading: Bool
    }

    public func chunk(_ text: String, places: [Place]) -> [Chunk] {
        let bytes = Array(text.utf8)
        let blocks = MarkdownChunker.blocks(bytes)
        var locator = PlaceLocator(places)
        var headings = HeadingPath()
        var chunks: [Chunk] = []
        var current: [UInt8] = []
        var currentScalars = 0
        // The location of the chunk being filled: its section's headings, and the places of its pieces.
        var chunkHeadings: [String]?
        var chunkPlaces: [Int] = []

        func flush(keepOverlap: Bool) {
            guard currentScalars > 0 else { return }
            let trimmed = MarkdownChunker.trim(current)
            if !trimmed.isEmpty {
                let location = ChunkLocation(headingPath: chunkHeadings ?? headings.path, places: chunkPlaces.map { locator.places[$0] })
                chunks.append(Chunk(ordinal: chunks.count, text: String(decoding: trimmed, as: UTF8.self), location: location))
            }
            let lastPlace = chunkPlaces.last
            if keepOverlap && overlap > 0 {
                current = MarkdownChunker.tail(of: trimmed, scalars: overlap)
                currentScalars = MarkdownChunker.scalarCount(current[...])
                // The overlap repeats the end of this chunk: the current section, at its last place.
                chunkHeadings = headings.path
                chunkPlaces = lastPlace.map { [$0] } ?? []
            } else {
                current = []
                currentScalars = 0
                chunkHeadings = nil
                chunkPlaces = []
            }
        }

        func append(_ range: Range<Int>, scalars: Int) {
            if chunkHeadings == nil { chunkHeadings = headings.path }
            if !current.isEmpty { current.append(contentsOf: [0x0A, 0x0A]) }
            current.append(contentsOf: bytes[range])
            currentScalars += scalars + 2
            locator.add(range, to: &chunkPlaces)
        }

        var contentScalars = 0  // scalars added since the last flush, excluding overlap
        var previousPlace: Int?
        for block in blocks {
            let place = locator.index(at: block.range.lowerBound)
            let startsPlace = place != previousPlace
            previousPlace = place
            if (block.isHeading || startsPlace) && contentScalars >= targetSize / 3 {
                flush(keepOverlap: false)
                contentScalars = 0
            }
            if block.isHeading { headings.enter(bytes[block.range]) }
            if block.scalars > targetSize {
                for piece in MarkdownChunker.split(bytes, block.range, maxScalars: targetSize) {
                    let scalars = MarkdownChunker.scalarCount(bytes[piece])
                    if currentScalars + scalars > targetSize && contentScalars > 0 {
                        flush(keepOverlap: true)
                        contentScalars = 0
                    }
                    append(piece, scalars: scalars)
                    contentScalars += scalars
                }
                continue
            }
            if currentScalars + block.scalars > targetSize && contentScalars > 0 {
                flush(keepOverlap: !block.isHeading)
                contentScalars = 0
            }
            append(block.range, scalars: block.scalars)
            contentScalars += block.scalars
        }
        if contentScalars > 0 { flush(keepOverlap: false) }
        return chunks
    }

    /// Splits text into heading, code-fence and paragraph blocks.
    static func blocks(_ bytes: [UInt8]) -> [Block] {
        var blocks: [Block] = []
        var paragraphStart: Int?
        var paragraphEnd = 0
        var inFence = false
        var lineStart = 0
        func closeParagraph() {
            if let start = paragraphStart, paragraphEnd > start {
                blocks.append(Block(range: start..<paragraphEnd, scalars: scalarCount(bytes[start..<paragraphEnd]), isHeading: false))
            }
            paragraphStart = nil
        }
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let line = bytes[lineStart..<lineEnd]
            let content = line.drop { $0 == 0x20 || $0 == 0x09 }
            let isBlank = content.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            let isFence = content.starts(with: [0x60, 0x60, 0x60]) || content.starts(with: [0x7E, 0x7E, 0x7E])
            if inFence {
                paragraphEnd = lineEnd
                if isFence {
                    inFence = false
                    closeParagraph()
                }
            } else if isFence {
                closeParagraph()
                inFence = true
                paragraphStart = lineStart
                paragraphEnd = lineEnd
            } else if isHeading(content) {
                closeParagraph()
                blocks.append(Block(range: lineStart..<lineEnd, scalars: scalarCount(line), isHeading: true))
            } else if isBlank {
                closeParagraph()
            } else {
                if paragraphStart == nil { paragraphStart = lineStart }
                paragraphEnd = lineEnd
            }
            lineStart = lineEnd + 1
        }
        closeParagraph()
        return blocks
    }

    static func isHeading(_ content: ArraySlice<UInt8>) -> Bool {
        var hashes = 0
        var index = content.startIndex
        while index < content.endIndex && content[index] == 0x23 {
            hashes += 1
            index += 1
        }
        return hashes >= 1 && hashes <= 6 && (index == content.endIndex || content[index] == 0x20 || content[index] == 0x09)
    }

    /// Unicode scalars in UTF-8 bytes: every byte that is not a continuation byte.
    static func scalarCount(_ bytes: ArraySlice<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Cuts an oversized block into pieces of at most `maxScalars`, preferring
    /// line ends, then sentence ends, then spaces, then any scalar boundary.
    /// The pieces are ranges of `bytes`.
    static func split(_ bytes: [UInt8], _ block: Range<Int>, maxScalars: Int) -> [Range<Int>] {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }
        var pieces: [Range<Int>] = []
        var start = block.lowerBound
        while start < block.upperBound {
            // Find the byte offset where maxScalars scalars end.
            var end = start
            var scalars = 0
            while end < block.upperBound {
                if bytes[end] & 0xC0 != 0x80 {
                    if scalars == maxScalars { break }
                    scalars += 1
                }
                end += 1
            }
            if end == block.upperBound {
                pieces.append(start..<end)
                break
            }
            let window = bytes[start..<end]
            let minimum = start + (end - start) / 3
            let cut = lastCut(in: window, after: minimum, where: { $0 == 0x0A })
                ?? lastSentenceEnd(in: window, after: minimum)
                ?? lastCut(in: window, after: minimum, where: { $0 == 0x20 || $0 == 0x09 })
                ?? end
            var pieceStart = start
            var pieceEnd = cut
            while pieceStart < pieceEnd && isSpace(bytes[pieceStart]) { pieceStart += 1 }
            while pieceEnd > pieceStart && isSpace(bytes[pieceEnd - 1]) { pieceEnd -= 1 }
            if pieceStart < pieceEnd { pieces.append(pieceStart..<pieceEnd) }
            start = cut
            while start < block.upperBound && isSpace(bytes[start]) { start += 1 }
        }
        return pieces
    }

    static func lastCut(in window: ArraySlice<UInt8>, after minimum: Int, where predicate: (UInt8) -> Bool) -> Int? {
        var index = window.endIndex - 1
        while index > minimum {
            if predicate(window[index]) { return index + 1 }
            index -= 1
        }
        return nil
    }

    static func lastSentenceEnd(in window: ArraySlice<UInt8>, after minimum: Int) -> Int? {
        var index = window.endIndex - 1
        while index > minimum {
            let byte = window[index - 1]
            if (window[index] == 0x20) && (byte == 0x2E || byte == 0x21 || byte == 0x3F) { return index + 1 }
            index -= 1
        }
        return nil
    }

    /// The last `scalars` characters of `bytes`, starting at a word boundary.
    static func tail(of bytes: [UInt8], scalars: Int) -> [UInt8] {
        var start = bytes.count
        var seen = 0
        while start > 0 && seen < scalars {
            start -= 1
            if bytes[start] & 0xC0 != 0x80 { seen += 1 }
        }
        guard start > 0 else { return bytes }
        // Move forward to the next word start.
        while start < bytes.count && !(bytes[start] == 0x20 || bytes[start] == 0x0A) { start += 1 }
        return trim(Array(bytes[start...]))
    }

    static func trim(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0
        var end = bytes.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return Array(bytes[start..<end])
    }
}
