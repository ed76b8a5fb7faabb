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

    // MARK: Locations

    /// A paragraph of `count` characters.
    func paragraph(_ word: String, _ count: Int) -> String {
        String(String(repeating: word + " ", count: count / (word.count + 1) + 1).prefix(count))
    }

    @Test(arguments: [0, 60]) func eachChunkKnowsTheHeadingsAboveItsStart(overlap: Int) {
        let text = [
            "# Handbook", paragraph("intro", 100), "## Leave", "### Vacation ###",
            paragraph("alpha", 300), paragraph("beta", 300), paragraph("gamma", 300),
            "### Sick leave", paragraph("delta", 300), "## Pay", paragraph("epsilon", 100),
        ].joined(separator: "\n\n")
        let chunks = MarkdownChunker(targetSize: 400, overlap: overlap).chunk(text)
        #expect(chunks.map(\.location.headingPath) == [
            ["Handbook"],
            ["Handbook", "Leave", "Vacation"], ["Handbook", "Leave", "Vacation"], ["Handbook", "Leave", "Vacation"],
            ["Handbook", "Leave", "Sick leave"],
            ["Handbook", "Pay"],
        ], "a chunk that opens on merged small sections is under the first; a closing ### is not part of the title")
        #expect(chunks[1].text.contains("### Vacation") == (overlap > 0) && chunks[4].text.hasPrefix("### Sick leave"),
            "with overlap, the first chunk of a section repeats the end of the one before")
        #expect(chunks.allSatisfy { $0.location.places.isEmpty })
    }

    @Test func headingsAreCleanedAndBounded() {
        let long = String(repeating: "x", count: 300)
        let chunks = MarkdownChunker(targetSize: 400, overlap: 0).chunk([
            "# One\u{7}\ttwo  ##", paragraph("a", 150), "## \(long)", paragraph("b", 150), "#", paragraph("c", 150),
        ].joined(separator: "\n\n"))
        let cut = String(repeating: "x", count: 199) + "…"
        #expect(chunks.map(\.location.headingPath) == [["One two"], ["One two", cut], ["One two", cut], []],
            "controls become blanks, a heading stops at 200 characters, an empty # closes every section")
    }

    @Test func chunksStartAtPagesAndNameThePagesTheirTextComesFrom() {
        // Pages 1 to 6; page 4 has no text (it starts where page 5 does); page 6 is one long paragraph.
        let pages = [paragraph("one", 300), paragraph("two", 50), paragraph("three", 300), "", paragraph("five", 300), paragraph("six", 900)]
        var text = ""
        var places: [Place] = []
        for (index, page) in pages.enumerated() {
            if !text.isEmpty && !page.isEmpty { text += "\n\n" }
            places.append(Place(.page, "\(index + 1)", at: text.utf8.count))
            text += page
        }
        let chunks = MarkdownChunker(targetSize: 400, overlap: 50).chunk(text, places: places)
        #expect(chunks.map { $0.location.places.map(\.label) } == [["1"], ["2", "3"], ["5"], ["6"], ["6"], ["6"]],
            "a page starts a chunk once the chunk holds a third of the target; an empty page is in no chunk")
        #expect(chunks[0].text == pages[0].trimmingCharacters(in: .whitespaces) && chunks[2].text == pages[4].trimmingCharacters(in: .whitespaces),
            "page boundaries cut without overlap")
        #expect(chunks.allSatisfy { $0.location.places.allSatisfy { $0.kind == .page } })
        #expect(chunks[1].location.placesText == "pages 2-3" && chunks[0].location.placesText == "page 1")
        #expect(MarkdownChunker(targetSize: 400, overlap: 50).chunk(text).map(\.text) != chunks.map(\.text), "without places, pages merge")
    }

    @Test func aLocationSitsBesideTheChunksOwnKeysInJSON() throws {
        let located = SearchHit(
            tenant: "acme", docId: "r.pdf", ordinal: 2, score: 0.5, text: "t",
            location: ChunkLocation(headingPath: ["Handbook", "Leave"], places: [ChunkPlace(.page, "2"), ChunkPlace(.page, "3")]))
        let sheet = SearchHit(
            tenant: "acme", docId: "b.xlsx", ordinal: 0, score: 0.5, text: "t", location: ChunkLocation(places: [ChunkPlace(.sheet, "Budget")]))
        let plain = SearchHit(tenant: "acme", docId: "a.txt", ordinal: 0, score: 0.5, text: "t")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(located), as: UTF8.self)
            == #"{"docId":"r.pdf","headingPath":["Handbook","Leave"],"ordinal":2,"pages":[2,3],"score":0.5,"tenant":"acme","text":"t"}"#)
        #expect(String(decoding: try encoder.encode(sheet), as: UTF8.self)
            == #"{"docId":"b.xlsx","ordinal":0,"score":0.5,"sheet":"Budget","tenant":"acme","text":"t"}"#)
        #expect(String(decoding: try encoder.encode(plain), as: UTF8.self)
            == #"{"docId":"a.txt","ordinal":0,"score":0.5,"tenant":"acme","text":"t"}"#)
        for hit in [located, sheet, plain] {
            #expect(try JSONDecoder().decode(SearchHit.self, from: try encoder.encode(hit)) == hit)
        }
    }

    /// The worst a document can do to one chunk's location: thousands of
    /// one-word pages in one chunk, and labels full of control characters.
    @Test func aChunkNamesAtMostAHundredPlacesWithCleanLabels() {
        var text = ""
        var places: [Place] = []
        for page in 1...3000 {
            if !text.isEmpty { text += " " }
            places.append(Place(.page, page == 1 ? "1\u{7}\n" + String(repeating: "9", count: 500) : "\(page)", at: text.utf8.count))
            text += "w\(page)"
        }
        let chunks = MarkdownChunker(targetSize: 50_000, overlap: 0).chunk(text, places: places)
        #expect(chunks.count == 1)
        let named = chunks[0].location.places
        #expect(named.count == ChunkLocation.maxPlaces && named.last?.label == "100", "the first hundred, in order")
        #expect(named[0].label == "1 " + String(repeating: "9", count: 97) + "…", "controls become a blank, at most 100 characters")
    }
}

