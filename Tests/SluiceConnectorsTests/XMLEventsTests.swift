import Foundation
@testable import SluiceConnectors
import SluiceCore
import Testing

/// The XML reader under the ZIP-based formats: what a part made of one
/// enormous run of text (no elements to count, nothing for a handler's
/// output cap to see until the run ends) costs.
@Suite struct XMLEventsTests {
    /// Counts what it is handed.
    final class Recorder: XMLEvents.Handler {
        var elements = 0
        var textBytes = 0
        func start(_ name: Substring, _ attributes: [String: String]) { elements += 1 }
        func end(_ name: Substring) {}
        func text(_ text: String) { textBytes += text.utf8.count }
    }

    /// `<w:t>` around `megabytes` MiB of one letter, on one line.
    func longRun(megabytes: Int) -> Data {
        var data = Data("<w:document><w:p><w:t>".utf8)
        data.append(Data(repeating: UInt8(ascii: "A"), count: megabytes << 20))
        data.append(Data("</w:t></w:p></w:document>".utf8))
        return data
    }

    @Test func textPastTheBudgetStopsTheParseInsideTheRun() throws {
        let recorder = Recorder()
        let error = #expect(throws: SluiceError.self) {
            try XMLEvents.parse(self.longRun(megabytes: 16), part: "word/document.xml", into: recorder, text: .init(limit: 1 << 20))
        }
        #expect(error?.message.contains("1 MiB limit (SLUICE_MAX_TEXT_BYTES)") == true, "\(String(describing: error))")
        #expect(recorder.textBytes <= 1 << 20, "nothing past the budget is handed over")
    }

    @Test func partsOfOneDocumentShareTheBudget() throws {
        let recorder = Recorder()
        let left = try XMLEvents.parse(longRun(megabytes: 1), part: "a.xml", into: recorder, text: .init(limit: 3 << 19))
        #expect(left.remaining == 1 << 19)
        #expect(throws: SluiceError.self) { try XMLEvents.parse(self.longRun(megabytes: 1), part: "b.xml", into: recorder, text: left) }
    }

    @Test func theDeadlineIsSeenInsideARunOfText() throws {
        // Three elements: an element count alone would never look at the clock.
        let recorder = Recorder()
        let error = #expect(throws: SluiceError.self) {
            try XMLEvents.parse(
                self.longRun(megabytes: 16), part: "word/document.xml", into: recorder, until: .now - .seconds(1), timeout: .seconds(1))
        }
        #expect(error?.message.contains("SLUICE_EXTRACT_TIMEOUT_SECONDS") == true, "\(String(describing: error))")
        #expect(recorder.textBytes < 1 << 20, "stopped within the first stretch of text")
    }

    @Test func aPartOver10MBOnOneLineIsRead() throws {
        // As Excel writes sheets: libxml2 refuses a line this long given all at once, so it is streamed.
        var data = Data("<sheetData>".utf8)
        for index in 0..<400_000 { data.append(Data("<c r=\"A\(index)\"><v>\(index)</v></c>".utf8)) }
        data.append(Data("</sheetData>".utf8))
        #expect(data.count > 10 << 20)
        let recorder = Recorder()
        try XMLEvents.parse(data, part: "xl/worksheets/sheet1.xml", into: recorder)
        #expect(recorder.elements == 800_001)
    }
}
