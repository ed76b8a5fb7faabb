import Foundation
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// ZIP-of-XML documents made by their real producers (python-docx, ...)
/// and hostile variants of them.
@Suite(.timeLimit(.minutes(5))) struct OfficeExtractorTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory("sluice-office") }

    func bytes(_ fixture: String) async throws -> [UInt8] {
        let name = try await FormatFixtures.make([fixture], in: directory.path)[0]
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name)))
    }

    func reason(_ extractor: any Extractor, _ fixture: String) async throws -> String? {
        let input = try await bytes(fixture)
        do {
            _ = try extractor.extract(input)
            return nil
        } catch let error as SluiceError where error.code == .extraction {
            return error.message
        }
    }

    /// The marker ids (MARKER-X-N) in the order they appear.
    func markers(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace || $0 == "|" }).filter { $0.hasPrefix("MARKER-") }.map(String.init)
    }

    /// Each marker's first chunk, by a chunker small enough to give most blocks their own, as
    /// "heading path | places".
    func locations(_ extracted: ExtractedText) -> [String: String] {
        var found: [String: String] = [:]
        for chunk in MarkdownChunker(targetSize: 50, overlap: 0).chunk(extracted) {
            for marker in markers(chunk.text) where found[marker] == nil {
                found[marker] = [chunk.location.headingPathText, chunk.location.placesText].filter { !$0.isEmpty }.joined(separator: " | ")
            }
        }
        return found
    }

    @Test func eachChunkNamesItsHeadingsAndItsSlideOrSheet() async throws {
        let vacation = "Handbook > Leave > Vacation"
        #expect(locations(try DOCXExtractor().extract(try await bytes("docx-report"))) == [
            "MARKER-DOCX-1": "Handbook", "MARKER-DOCX-2": vacation, "MARKER-DOCX-3": vacation, "MARKER-DOCX-4": vacation,
            "MARKER-DOCX-5": vacation, "MARKER-DOCX-6": "Handbook > Sick leave",
        ])
        #expect(locations(try OpenDocumentExtractor(.text).extract(try await bytes("odt-handbook"))) == [
            "MARKER-ODT-1": "Handbook", "MARKER-ODT-2": "Handbook > Leave", "MARKER-ODT-3": "Handbook > Leave",
            "MARKER-ODT-4": "Handbook > Leave", "MARKER-ODT-5": "Handbook > Leave",
        ])
        #expect(locations(try PPTXExtractor().extract(try await bytes("pptx-deck"))) == [
            "MARKER-PPTX-1": "Results | slide 1", "MARKER-PPTX-2": "Results | slide 1", "MARKER-PPTX-3": "Regions | slide 2",
            "MARKER-PPTX-4": "Slide 3 | slide 3",
        ])
        #expect(locations(try OpenDocumentExtractor(.presentation).extract(try await bytes("odp-deck"))) == [
            "MARKER-ODP-1": "Results | slide 1", "MARKER-ODP-2": "Results | slide 1", "MARKER-ODP-3": "Slide 2 | slide 2",
        ])
        #expect(locations(try XLSXExtractor().extract(try await bytes("xlsx-book"))) == [
            "MARKER-XLSX-1": "Budget | sheet Budget", "MARKER-XLSX-2": "Budget | sheet Budget", "MARKER-XLSX-3": "Budget | sheet Budget",
            "MARKER-XLSX-4": "Notes | sheet Notes",
        ])
        #expect(locations(try OpenDocumentExtractor(.spreadsheet).extract(try await bytes("ods-book"))) == [
            "MARKER-ODS-1": "Budget | sheet Budget", "MARKER-ODS-2": "Budget | sheet Budget", "MARKER-ODS-3": "Notes | sheet Notes",
        ])
        #expect(locations(try EPUBExtractor().extract(try await bytes("epub-book"))) == [
            "MARKER-EPUB-2": "Middles", "MARKER-EPUB-1": "Beginnings", "MARKER-EPUB-3": "Endings",
        ])
    }

    @Test func aWordDocumentKeepsHeadingsListsAndTableRowsInOrder() async throws {
        let extracted = try DOCXExtractor().extract(try await bytes("docx-report"))
        #expect(extracted.title == "Employee Handbook")
        #expect(markers(extracted.text) == (1...6).map { "MARKER-DOCX-\($0)" })
        let blocks = extracted.text.components(separatedBy: "\n\n")
        #expect(blocks.prefix(4) == ["# Handbook", "MARKER-DOCX-1 welcome to the company.", "## Leave", "### Vacation"])
        #expect(blocks.contains("- MARKER-DOCX-3 first item") && blocks.contains("- MARKER-DOCX-4 second item"))
        #expect(blocks.contains("Region | Days | Notes") && blocks.contains("MARKER-DOCX-5 North | 20 | carry over 5"), "a row reads as a line")
        #expect(blocks.last == "MARKER-DOCX-6 tell your manager the same day.", "runs of one paragraph join")
    }

    @Test func aZipBombIsRefusedAtTheInflateCapWhateverItsHeadersSay() async throws {
        var limits = ExtractionLimits()
        limits.maxInflatedBytes = 64 << 20
        for fixture in ["docx-bomb", "docx-bomb-lying"] {
            let reason = try await reason(DOCXExtractor(limits: limits), fixture)
            #expect(reason?.contains("SLUICE_MAX_INFLATED_BYTES") == true, "\(fixture): \(reason ?? "read")")
        }
    }

    @Test func partNamesThatClimbOutAreOnlyNames() async throws {
        let extracted = try DOCXExtractor().extract(try await bytes("docx-traversal"))
        #expect(markers(extracted.text).count == 6 && !extracted.text.contains("MARKER-EVIL"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/sluice-evil.txt"))
    }

    @Test func aZipOfTooManyPartsIsRefused() async throws {
        #expect(try await reason(DOCXExtractor(), "docx-many-parts") == "not a readable DOCX file (it has more than 65536 parts); check the file")
    }

    @Test func aFileThatIsNotAZipIsSkippedWithAReason() async throws {
        #expect(try await reason(DOCXExtractor(), "docx-not-zip") == "not a DOCX file (it is not a ZIP archive); check the file or its extension")
    }

    @Test func textPastTheCapStopsTheParse() async throws {
        var limits = ExtractionLimits()
        limits.maxTextBytes = 100
        #expect(try await reason(DOCXExtractor(limits: limits), "docx-report")?.contains("SLUICE_MAX_TEXT_BYTES") == true)
    }

    @Test func aPresentationReadsSlideBySlideWithTitlesTablesAndSpeakerNotes() async throws {
        let extracted = try PPTXExtractor().extract(try await bytes("pptx-deck"))
        #expect(extracted.title == "Quarterly Review")
        #expect(markers(extracted.text) == (1...4).map { "MARKER-PPTX-\($0)" })
        #expect(extracted.places.map(\.label) == ["1", "2", "3"] && extracted.places.allSatisfy { $0.kind == .slide })
        let blocks = extracted.text.components(separatedBy: "\n\n")
        #expect(blocks == [
            "# Results", "MARKER-PPTX-1 revenue is up.", "Speaker notes: MARKER-PPTX-2 mention the north region.",
            "# Regions", "Region | Growth", "MARKER-PPTX-3 North | 12%",
            "# Slide 3", "MARKER-PPTX-4 thank you.",
        ], "\(blocks)")
        let utf8 = Array(extracted.text.utf8)
        #expect(extracted.places.map { String(decoding: utf8[$0.offset...].prefix(9), as: UTF8.self) } == ["# Results", "# Regions", "# Slide 3"])
        #expect(extracted.warnings == ["1 image without text left out"])
    }

    @Test func aWorkbookShowsEachSheetsRowsAsTheirFormatsShowThem() async throws {
        let extracted = try XLSXExtractor().extract(try await bytes("xlsx-book"))
        #expect(extracted.title == "Budget 2026")
        #expect(extracted.places.map(\.label) == ["Budget", "Notes"] && extracted.places.allSatisfy { $0.kind == .sheet })
        let blocks = extracted.text.components(separatedBy: "\n\n")
        #expect(blocks == [
            "# Budget", "Item | Amount | Share | Due", "MARKER-XLSX-1 rent | 1,234.50 | 25% | 2026-03-01",
            "MARKER-XLSX-2 total | 2469 | 0.3", "MARKER-XLSX-3 far below",
            "# Notes", "MARKER-XLSX-4 on the second sheet | TRUE",
        ], "shared strings resolved (without the phonetic guide), formats applied, the formula's cached value, empty rows left out: \(blocks)")
    }

    /// A row-by-row walk would take hours: the suite's time limit catches it.
    /// Not a clock check here: the tests run side by side and a loaded
    /// machine took 60 s for what takes seconds alone.
    @Test func aMillionEmptyRowsCostOnlyTheParse() async throws {
        let extracted = try XLSXExtractor().extract(try await bytes("xlsx-empty-rows"))
        #expect(extracted.text.contains("MARKER-XLSX-EMPTY last row"))
        #expect(extracted.text.utf8.count < 1000, "no line for an empty row")
    }

    @Test func anOpenDocumentTextKeepsItsStructure() async throws {
        let extracted = try OpenDocumentExtractor(.text).extract(try await bytes("odt-handbook"))
        #expect(extracted.title == "Open Handbook")
        #expect(extracted.text.components(separatedBy: "\n\n") == [
            "# Handbook", "MARKER-ODT-1 welcome to the team.", "## Leave", "- MARKER-ODT-2 first item", "- MARKER-ODT-3 second item",
            "Region | Days", "MARKER-ODT-4 North | 20", "MARKER-ODT-5 the end.",
        ], "\(extracted.text)")
    }

    @Test func anOpenDocumentSpreadsheetSkipsItsRepeatedEmptyRowsAndCells() async throws {
        let extracted = try OpenDocumentExtractor(.spreadsheet).extract(try await bytes("ods-book"))
        #expect(extracted.places.map(\.label) == ["Budget", "Notes"] && extracted.places.allSatisfy { $0.kind == .sheet })
        #expect(extracted.text.components(separatedBy: "\n\n") == [
            "# Budget", "Item | Amount", "MARKER-ODS-1 rent | 1,234.50", "MARKER-ODS-2 after the gap",
            "# Notes", " |  |  | MARKER-ODS-3 second sheet",
        ], "\(extracted.text)")
    }

    @Test func aRowWiderThanAnySheetStopsAtTheLastColumn() async throws {
        let extracted = try OpenDocumentExtractor(.spreadsheet).extract(try await bytes("ods-wide-row"))
        #expect(extracted.text.contains("MARKER-ODS-NARROW") && !extracted.text.contains("MARKER-ODS-WIDE"))
        #expect(extracted.text.utf8.count < 100_000, "not a line of 1.28 million cells: \(extracted.text.utf8.count) bytes")
    }

    @Test func anOpenDocumentPresentationReadsPageByPageWithNotes() async throws {
        let extracted = try OpenDocumentExtractor(.presentation).extract(try await bytes("odp-deck"))
        #expect(extracted.title == "Open Review")
        #expect(extracted.places.map(\.label) == ["1", "2"] && extracted.places.allSatisfy { $0.kind == .slide })
        #expect(extracted.text.components(separatedBy: "\n\n") == [
            "# Results", "MARKER-ODP-1 revenue is up.", "Speaker notes: MARKER-ODP-2 thank the team.",
            "# Slide 2", "MARKER-ODP-3 questions?",
        ], "\(extracted.text)")
    }

    /// Naming one part many times (a spine, a slide list) inflates it each time: the document's one budget
    /// refuses it, as it refuses a bomb.
    @Test func aPartReadManyTimesCountsAgainstTheInflateCapEachTime() async throws {
        var limits = ExtractionLimits()
        limits.maxInflatedBytes = 8 << 20
        let reason = try await reason(EPUBExtractor(limits: limits), "epub-repeated-spine")
        #expect(reason?.contains("SLUICE_MAX_INFLATED_BYTES") == true, "\(reason ?? "read")")
    }

    @Test func aBookReadsItsChaptersInSpineOrder() async throws {
        let extracted = try EPUBExtractor().extract(try await bytes("epub-book"))
        #expect(extracted.title == "The Sluice Story")
        #expect(extracted.text.components(separatedBy: "\n\n") == [
            "# Middles", "MARKER-EPUB-2 the gates opened.", "# Beginnings", "MARKER-EPUB-1 the river ran & ran.", "# Endings",
            "MARKER-EPUB-3 the sea.",
        ], "\(extracted.text)")
        #expect(try await reason(EPUBExtractor(), "epub-missing-chapter")?.contains("is missing") == true)
    }

    /// An in-process extractor cannot be killed: past the deadline it stops itself, inflating or parsing.
    @Test func inflatingStopsAtTheDeadline() async throws {
        var limits = ExtractionLimits()
        limits.maxInflatedBytes = 4 << 30
        limits.timeout = .milliseconds(200)
        let input = try await bytes("docx-bomb-lying")
        let started = ContinuousClock.now
        #expect(throws: SluiceError.self) { try DOCXExtractor(limits: limits).extract(input) }
        #expect(ContinuousClock.now - started < .seconds(30), "it stopped at the deadline")
        #expect(try await reason(DOCXExtractor(limits: limits), "docx-bomb-lying")?.contains("SLUICE_EXTRACT_TIMEOUT_SECONDS") == true)
    }
}
