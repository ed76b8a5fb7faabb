import SluiceConnectors
import SluiceCore
import Testing

@Suite struct ExtractorTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func htmlKeepsVisibleTextOnly() throws {
        let html = """
            <!doctype html><html><head><title>Guide &amp; Rules</title><style>p { color: red }</style>
            <script>var secret = "hidden";</script></head>
            <body><h1>Hello</h1><p>First&nbsp;paragraph with <b>bold</b> text.</p><!-- a comment -->
            <ul><li>one</li><li>two</li></ul><noscript>enable js</noscript><p>5 &lt; 6 &#x2014; ok &#233;</p></body></html>
            """
        let result = try HTMLExtractor().extract(bytes(html))
        #expect(result.title == "Guide & Rules")
        #expect(result.text == "# Hello\n\nFirst paragraph with bold text.\n\n- one\n- two\n\n5 < 6 \u{2014} ok \u{e9}")
        for hidden in ["secret", "color", "comment", "enable js", "Guide"] {
            #expect(!result.text.contains(hidden), "\(hidden) must not be extracted")
        }
    }

    @Test func htmlDecodesEveryNamedReferenceAsHTML5Does() throws {
        let cases: [(String, String)] = [
            ("&CounterClockwiseContourIntegral;", "\u{2233}"),  // the longest name
            ("&NotNestedGreaterGreater;", "\u{2AA2}\u{0338}"),  // two code points
            ("&copy 2024", "\u{A9} 2024"),  // legacy: valid without a semicolon
            ("&notit;", "\u{AC}it;"),  // the longest legacy prefix, as the spec's own example
            ("&ampx", "&x"),
            ("&zwj;&hearts;&Afr;", "\u{200D}\u{2665}\u{1D504}"),
            ("&#x80; &#150;", "\u{20AC} \u{2013}"),  // C1 controls mean windows-1252
            ("&#0; &#xD800; &#1114112;", "\u{FFFD} \u{FFFD} \u{FFFD}"),
            ("&#65 &#x42", "A B"),  // numeric without a semicolon
            ("&unknown; & &; &#; &#x;", "&unknown; & &; &#; &#x;"),  // not references: as written
        ]
        for (source, expected) in cases {
            #expect(try HTMLExtractor().extract(bytes("<p>\(source)</p>")).text == expected, "\(source)")
        }
    }

    @Test func htmlKeepsPreformattedTextAndDropsTheSiteAroundThePage() throws {
        let html = """
            <html><head><title>Install</title></head><body>
            <header><a href="/">Home</a> MARKER-HEADER</header><nav><a>Docs</a> MARKER-NAV</nav>
            <main><h1>Install</h1><p>Run   this:</p><pre>make   build
              --verbose

            done</pre><template>MARKER-TEMPLATE</template></main>
            <footer>MARKER-FOOTER &copy; 2026</footer></body></html>
            """
        let result = try HTMLExtractor().extract(bytes(html))
        #expect(result.title == "Install")
        #expect(result.text == "# Install\n\nRun this:\n\nmake   build\n  --verbose\n\ndone", "\(result.text)")
        for hidden in ["MARKER-HEADER", "MARKER-NAV", "MARKER-TEMPLATE", "MARKER-FOOTER", "Home", "Docs"] {
            #expect(!result.text.contains(hidden), "\(hidden) must not be extracted")
        }
    }

    @Test func jsonGivesStringValuesWithTheirKeys() throws {
        let json = #"{"title": "Plans", "owner": {"name": "Ada", "age": 36}, "tags": ["a", "b"], "empty": ""}"#
        let result = try JSONExtractor().extract(bytes(json))
        #expect(result.text == "title: Plans\nowner.name: Ada\ntags: a\ntags: b", "in document order")
        #expect(result.title == "Plans")
    }

    @Test func invalidJSONSaysWhatIsWrong() {
        #expect {
            try JSONExtractor().extract(bytes("{\"a\": "))
        } throws: { error in
            let error = error as? SluiceError
            return error?.code == .extraction && error?.message.hasPrefix("invalid JSON") == true
        }
    }

    @Test func csvLabelsFieldsWithHeaders() throws {
        let csv = "name,role,quote\r\nAda,engineer,\"said \"\"hi\"\", twice\"\nGrace,admiral,\"multi\nline\"\n"
        let result = try CSVExtractor().extract(bytes(csv))
        #expect(result.text == "name: Ada; role: engineer; quote: said \"hi\", twice\nname: Grace; role: admiral; quote: multi\nline")
    }

    @Test func binaryAndUndecodableContentIsRejectedWithAReason() {
        #expect(throws: SluiceError.self) { try PlainTextExtractor().extract([0x68, 0x00, 0x69]) }
        do {
            _ = try PlainTextExtractor().extract([0x61, 0x62, 0xC3, 0x28])
            Issue.record("invalid UTF-8 must be rejected")
        } catch let error as SluiceError {
            #expect(error.message.contains("not valid UTF-8") && error.message.contains("offset 2"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func decodesBOMs() throws {
        #expect(try PlainTextExtractor().extract([0xEF, 0xBB, 0xBF] + bytes("héllo")).text == "héllo")
        #expect(try PlainTextExtractor().extract([0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00]).text == "hi")
    }

    @Test func markdownFrontMatterGivesTheTitle() throws {
        let result = try MarkdownExtractor().extract(bytes("---\ntitle: \"Hand book\"\ntags: x\n---\n# Heading\n\nBody"))
        #expect(result.title == "Hand book")
        #expect(result.text == "# Heading\n\nBody")
        #expect(try MarkdownExtractor().extract(bytes("intro\n\n## Second *title*\n")).title == "Second *title*")
    }

    @Test func registryChoosesByExtension() {
        let registry = ExtractorRegistry.standard
        #expect(registry.extractor(forPath: "/a/B.MD")?.mimeType == "text/markdown")
        #expect(registry.extractor(forPath: "/a/page.htm")?.mimeType == "text/html")
        #expect(registry.extractor(forPath: "/a/report.PDF")?.mimeType == "application/pdf")
        #expect(registry.extractor(forPath: "/a/image.png") == nil)
        #expect(registry.unsupportedReason(forPath: "/a/image.png").hasPrefix("unsupported file type .png (Sluice indexes .csv, "))
        #expect(registry.extractor(forPath: "/a/Makefile") == nil)
    }

    /// Crafted HTML that took quadratic time: every unclosed "<!" searched to
    /// the end of the document again (2 MB of them did not finish in hours).
    @Test(.timeLimit(.minutes(5))) func htmlExtractionIsLinearOnCraftedInput() throws {
        for unit in ["<!", "<?", "<a x='", "<script>", "&#", "<!--x"] {
            let crafted = Array(String(repeating: unit, count: 2_000_000 / unit.utf8.count).utf8)
            _ = try HTMLExtractor().extract(crafted)
        }
    }

    /// Files built to make extraction expand: a header or a key path repeated
    /// for every tiny value. Before, 20 MiB of either took 18 and 24 GB.
    @Test func extractionThatWouldExpandManyTimesIsRefused() throws {
        let header = (0..<1000).map { "c" + String(repeating: "x", count: 1000) + "\($0)" }.joined(separator: ",")
        let row = Array(repeating: "y", count: 1000).joined(separator: ",")
        let csv = header + "\n" + Array(repeating: row, count: 200).joined(separator: "\n")
        let deep = String(repeating: "{\"" + String(repeating: "k", count: 1000) + "\":", count: 50)
        let json = deep + "[" + Array(repeating: "\"y\"", count: 100_000).joined(separator: ",") + "]" + String(repeating: "}", count: 50)
        for (extractor, input) in [(CSVExtractor() as any Extractor, csv), (JSONExtractor(), json)] {
            #expect {
                try extractor.extract(bytes(input))
            } throws: { error in
                (error as? SluiceError)?.message.contains("more than 4 times the file's size") == true
            }
        }
    }

    @Test func jsonIsReadWithoutATreeAndWithBoundedNesting() throws {
        let empties = "[" + Array(repeating: "[]", count: 100_000).joined(separator: ",") + "]"
        #expect(try JSONExtractor().extract(bytes(empties)).text == "")
        let nested = #"{"a": [{"b": "one"}, {"b": "two\u00e9\ud83d\ude00"}], "n": 1.5e3, "t": true, "z": null}"#
        #expect(try JSONExtractor().extract(bytes(nested)).text == "a.b: one\na.b: two\u{e9}\u{1F600}")
        #expect(try JSONExtractor().extract(bytes(#""just a string""#)).text == "just a string")
        #expect {
            try JSONExtractor().extract(bytes(String(repeating: "[", count: 100_000)))
        } throws: { error in
            (error as? SluiceError)?.message.contains("nested more than 512 levels") == true
        }
        for bad in ["{\"a\" 1}", "[1 2]", "{\"a\": tru}", "[\"open", "{} x"] {
            #expect(throws: SluiceError.self, "\(bad)") { try JSONExtractor().extract(bytes(bad)) }
        }
    }

    @Test func csvOfCommasStaysSmall() throws {
        let commas = "h\n" + String(repeating: ",", count: 1_000_000)
        #expect(try CSVExtractor().extract(bytes(commas)).text == "")
        let ragged = "a,b\n1\n2,3,4\n\n5,6\n"
        let result = try CSVExtractor().extract(bytes(ragged))
        #expect(result.text == "a: 1\na: 2; b: 3; column 3: 4\na: 5; b: 6")
        #expect(result.warnings == ["2 rows have a different number of fields than the header"])
    }
}
