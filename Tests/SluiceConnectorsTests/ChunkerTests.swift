import Foundation
import SluiceConnectors
import SluiceCore
import Testing

@Suite struct ChunkerTests {
    /// A document of `sections` sections, each of `paragraphs` paragraphs of about 300 characters.
    func document(sections: Int, paragraphs: Int = 3) -> String {
        var text = "# Title\n\n"
        for section in 0..<sections {
            text += "## Section \(section)\n\n"
            for paragraph in 0..<paragraphs {
                text += (0..<30).map { "w\(section)x\(paragraph)y\($0)" }.joined(separator: " ") + ".\n\n"
            }
        }
        return text
    }

    @Test func chunksStayNearTheTargetSize() {
        let chunker = MarkdownChunker(targetSize: 1000, overlap: 100)
        let chunks = chunker.chunk(document(sections: 20))
        #expect(chunks.count > 5)
        #expect(chunks.map(\.ordinal) == Array(0..<chunks.count))
        for chunk in chunks {
            #expect(chunk.text.unicodeScalars.count <= 1000 + 2, "chunk \(chunk.ordinal) is \(chunk.text.count) characters")
            #expect(!chunk.text.isEmpty)
        }
    }

    @Test func isDeterministicAndAppendingKeepsEarlierChunks() {
        let chunker = MarkdownChunker()
        let base = document(sections: 12)
        let first = chunker.chunk(base)
        #expect(first == chunker.chunk(base))
        let appended = chunker.chunk(base + "## Update\n\nA new closing paragraph.\n")
        #expect(Array(appended.prefix(first.count - 1)) == Array(first.prefix(first.count - 1)),
                "editing the end changes only the last chunks")
    }

    @Test func headingsStartNewChunks() {
        let chunker = MarkdownChunker(targetSize: 1000, overlap: 100)
        let chunks = chunker.chunk(document(sections: 6, paragraphs: 2))
        for chunk in chunks.dropFirst() {
            #expect(chunk.text.hasPrefix("## Section"), "a section of about 600 characters starts its own chunk: \(chunk.text.prefix(40))")
        }
    }

    @Test func splitsOversizedParagraphsAtSentencesAndKeepsAllText() {
        let sentence = "This sentence has exactly some words in it. "
        let text = String(repeating: sentence, count: 100)
        let chunks = MarkdownChunker(targetSize: 300, overlap: 0).chunk(text)
        // 44 characters a sentence: six fit in 300, so 100 sentences make 17 chunks.
        #expect(chunks.count == 17)
        for chunk in chunks {
            #expect(chunk.text.hasSuffix("."), "cut at a sentence end: \(chunk.text.suffix(20))")
        }
        let words = chunks.flatMap { $0.text.split(separator: " ") }
        #expect(words.count == text.split(separator: " ").count, "without overlap no word is lost or repeated")
    }

    @Test func overlapRepeatsTheTailOfThePreviousChunk() {
        let paragraph = (0..<40).map { "word\($0)" }.joined(separator: " ")
        let text = (0..<6).map { _ in paragraph }.joined(separator: "\n\n")
        let chunks = MarkdownChunker(targetSize: 700, overlap: 60).chunk(text)
        // Two 269-character paragraphs fit in 700 with the overlap, three do not: three chunks.
        #expect(chunks.count == 3)
        let overlap = chunks[1].text.components(separatedBy: "\n\n")[0]
        #expect(!overlap.isEmpty && overlap.count <= 60, "about 60 characters: \(overlap)")
        #expect(chunks[0].text.hasSuffix(overlap), "the next chunk starts with the previous one's tail")
        #expect(!overlap.hasPrefix(" ") && chunks[0].text.dropLast(overlap.count).hasSuffix(" "), "cut at a word boundary")
    }

    @Test func countsCharactersNotBytes() {
        let text = String(repeating: "ü", count: 900)
        let chunks = MarkdownChunker(targetSize: 1000, overlap: 0).chunk(text)
        #expect(chunks.count == 1, "900 characters fit a 1,000-character chunk even at 1,800 bytes")
    }

    @Test func emptyTextHasNoChunks() {
        #expect(MarkdownChunker().chunk("").isEmpty)
        #expect(MarkdownChunker().chunk("\n\n  \n").isEmpty)
    }
}
