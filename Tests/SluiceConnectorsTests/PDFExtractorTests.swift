import Foundation
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// PDFs made by reportlab (and by hand, for the hostile ones) read through
/// poppler's pdftotext in a child process.
@Suite(.timeLimit(.minutes(5))) struct PDFExtractorTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory("sluice-pdf") }

    func bytes(_ fixture: String) async throws -> [UInt8] {
        let name = try await FormatFixtures.make([fixture], in: directory.path)[0]
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name)))
    }

    /// The reason a fixture is skipped with, or nil when it was read.
    func reason(_ fixture: String, limits: ExtractionLimits = ExtractionLimits()) async throws -> String? {
        let input = try await bytes(fixture)
        do {
            _ = try PDFExtractor(limits: limits).extract(input)
            return nil
        } catch let error as SluiceError where error.code == .extraction {
            return error.message
        }
    }

    @Test func textComesPageByPageWithTheTitleAndEachPagesPlace() async throws {
        let extracted = try PDFExtractor().extract(try await bytes("pdf-report"))
        #expect(extracted.title == "Quarterly Report & Outlook", "the metadata's title, unescaped")
        let markers = extracted.text.split(separator: "\n").filter { $0.hasPrefix("MARKER") }.map { $0.prefix(12) }
        #expect(markers == ["MARKER-PDF-1", "MARKER-PDF-2", "MARKER-PDF-4"], "in reading order: \(extracted.text)")
        #expect(extracted.text.contains("costs fell <sharply> & steadily."), "the text as written, not HTML-escaped")
        // Page 3 is blank: it has no place, and the pages keep their numbers.
        #expect(extracted.places.map(\.label) == ["1", "2", "4"])
        #expect(extracted.places.allSatisfy { $0.kind == .page })
        let utf8 = Array(extracted.text.utf8)
        for (place, marker) in zip(extracted.places, ["MARKER-PDF-1", "MARKER-PDF-2", "MARKER-PDF-4"]) {
            #expect(utf8[place.offset...].starts(with: marker.utf8), "page \(place.label) starts where its text does")
        }
    }

    @Test func eachChunkNamesThePagesItsTextComesFrom() async throws {
        let extracted = try PDFExtractor().extract(try await bytes("pdf-report"))
        let small = MarkdownChunker(targetSize: 50, overlap: 0).chunk(extracted)
        let pages = small.map { chunk in (chunk.text.prefix(12), chunk.location.places.map(\.label)) }.filter { $0.0.hasPrefix("MARKER") }
        #expect(pages.map(\.0) == ["MARKER-PDF-1", "MARKER-PDF-2", "MARKER-PDF-4"] && pages.map(\.1) == [["1"], ["2"], ["4"]],
            "every page starts a chunk: \(small.map(\.text))")
        // At the default size the three short pages share a chunk, which names them (page 3 has no text).
        let chunks = MarkdownChunker().chunk(extracted)
        #expect(chunks.map { $0.location.places.map(\.label) } == [["1", "2", "4"]] && chunks[0].location.placesText == "pages 1-2, 4")
    }

    @Test func anOwnerPasswordOnlyIsReadAndAUserPasswordIsSkippedAsEncrypted() async throws {
        let owner = try PDFExtractor().extract(try await bytes("pdf-encrypted-owner"))
        #expect(owner.text.contains("MARKER-ENCRYPTED"))
        #expect(try await reason("pdf-encrypted-user")?.hasPrefix("encrypted") == true)
    }

    @Test func aScannedPDFIsSkippedAsHavingNoTextLayerNotIndexedEmpty() async throws {
        #expect(try await reason("pdf-scanned") == "no text layer (scanned image): run OCR on the PDF (for example ocrmypdf) to index it")
    }

    @Test func damagedAndMisnamedFilesAreSkippedWithAReason() async throws {
        for fixture in ["pdf-truncated", "not-a-pdf", "pdf-many-pages"] {
            let reason = try await reason(fixture)
            #expect(reason?.hasPrefix("not a readable PDF") == true, "\(fixture): \(reason ?? "read")")
        }
        // A page tree that contains itself: poppler notices the loop; whatever it reads, it ends.
        let loop = try await reason("pdf-loop")
        #expect(loop == nil || loop!.hasPrefix("no text layer") || loop!.hasPrefix("not a readable PDF"), "\(loop ?? "")")
    }

    @Test func aPDFThatTakesTooLongIsKilledAtTheDeadline() async throws {
        var limits = ExtractionLimits()
        limits.timeout = .milliseconds(100)
        let input = try await bytes("pdf-slow")  // about six seconds of pdftotext work
        let started = ContinuousClock.now
        #expect(throws: SluiceError.self) { try PDFExtractor(limits: limits).extract(input) }
        #expect(ContinuousClock.now - started < .seconds(4), "the child was killed at the deadline, not waited for")
        let reason = try await reason("pdf-slow", limits: limits)
        #expect(reason?.contains("SLUICE_EXTRACT_TIMEOUT_SECONDS") == true, "\(reason ?? "read")")
    }

    @Test func theMemoryCapReachesTheChild() async throws {
        // 10 MiB is less than pdftotext needs to load its libraries: the cap is applied to the child.
        var limits = ExtractionLimits()
        limits.converterMemoryBytes = 10 << 20
        let reason = try await reason("pdf-report", limits: limits)
        #expect(reason?.contains("SLUICE_EXTRACT_MEMORY_MB") == true, "\(reason ?? "read")")
    }

    @Test func textPastTheCapIsRefusedNotHeld() async throws {
        var limits = ExtractionLimits()
        limits.maxTextBytes = 64
        let reason = try await reason("pdf-report", limits: limits)
        #expect(reason?.contains("SLUICE_MAX_TEXT_BYTES") == true, "\(reason ?? "read")")
    }
}
