import SluiceCore

/// What the chunker keeps to say where each chunk lies.
extension MarkdownChunker {
    /// The headings above the current block, outermost first.
    struct HeadingPath {
        private var levels: [Int] = []
        /// The titles of `levels`, kept as one array that every chunk of a section shares.
        private(set) var path: [String] = []

        /// A heading line: it ends the sections at its level and deeper, and starts its own.
        mutating func enter(_ line: ArraySlice<UInt8>) {
            var content = line.drop { $0 == 0x20 || $0 == 0x09 }
            let level = content.prefix { $0 == 0x23 }.count
            // The blanks after the #s too: a title that starts with one would take `clean`'s slow path.
            content = content.dropFirst(level).drop { $0 == 0x20 || $0 == 0x09 }
            // A closing sequence of #s (preceded by a blank, or alone) is not part of the title.
            var end = content.endIndex
            while end > content.startIndex && [0x20, 0x09, 0x0D].contains(content[end - 1]) { end -= 1 }
            var hashes = end
            while hashes > content.startIndex && content[hashes - 1] == 0x23 { hashes -= 1 }
            if hashes == content.startIndex || [0x20, 0x09].contains(content[hashes - 1]) { end = hashes }
            while let last = levels.last, last >= level {
                levels.removeLast()
                path.removeLast()
            }
            let title = ChunkLocation.clean(String(decoding: content[content.startIndex..<end], as: UTF8.self), maxScalars: ChunkLocation.maxHeadingScalars)
            if !title.isEmpty {
                levels.append(level)
                path.append(title)
            }
        }
    }

    /// Which places (pages, slides, sheets) hold which bytes of the text.
    /// Asked about ever later offsets, it walks the places once.
    struct PlaceLocator {
        /// In order of offset, their labels cleaned.
        let places: [ChunkPlace]
        private let offsets: [Int]
        private var cursor = -1

        init(_ places: [Place]) {
            let sorted = places.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
            self.places = sorted.map { ChunkPlace($0.kind, ChunkLocation.clean($0.label, maxScalars: ChunkLocation.maxLabelScalars)) }
            offsets = sorted.map(\.offset)
        }

        /// The place holding byte `offset`: the last one starting at or before it (nil before the first).
        mutating func index(at offset: Int) -> Int? {
            if cursor >= 0 && offsets[cursor] > offset { cursor = -1 }
            while cursor + 1 < offsets.count && offsets[cursor + 1] <= offset { cursor += 1 }
            return cursor >= 0 ? cursor : nil
        }

        /// Adds to `list` the places that hold some of the bytes in `range` (an empty place holds none).
        mutating func add(_ range: Range<Int>, to list: inout [Int]) {
            guard !offsets.isEmpty, !range.isEmpty else { return }
            var index = self.index(at: range.lowerBound) ?? 0
            while index < offsets.count && offsets[index] < range.upperBound && list.count < ChunkLocation.maxPlaces {
                let end = index + 1 < offsets.count ? offsets[index + 1] : Int.max
                if max(range.lowerBound, offsets[index]) < min(range.upperBound, end), list.last != index {
                    list.append(index)
                }
                index += 1
            }
        }
    }
}
