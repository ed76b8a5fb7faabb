import Foundation
import SluiceCore
import Testing

/// `IncomingDocument(plainJSON:)` reads a published document without
/// Foundation's decoder. It may give up on any body, but what it reads must be
/// exactly what `JSONDecoder` reads from the same bytes, and it must not read a
/// body `JSONDecoder` refuses. Checked on generated bodies (random field sets,
/// key order, whitespace, escapes, non-ASCII) and on mangled copies of them.
@Suite struct PlainJSONReaderTests {
    /// What Foundation makes of `body`; nil when it refuses it.
    static func foundation(_ body: [UInt8]) -> IncomingDocument? {
        try? JSONDecoder().decode(IncomingDocument.self, from: Data(body))
    }

    @Test func readsGeneratedDocumentsAsFoundationDoes() {
        var random = SplitMix64(seed: 17)
        var bodies = 0
        for _ in 0..<3000 {
            let body = BodyGenerator.document(&random)
            let plain = IncomingDocument(plainJSON: body)
            let decoded = Self.foundation(body)
            #expect(decoded != nil, "Foundation refused a generated body: \(String(decoding: body, as: UTF8.self))")
            // Every generated body has the plain shape: the reader must read it, not only defer.
            #expect(plain != nil, "gave up on \(String(decoding: body, as: UTF8.self))")
            #expect(plain == decoded, "read differently: \(String(decoding: body, as: UTF8.self))")
            bodies += 1
        }
        #expect(bodies == 3000)
    }

    @Test func neverReadsWhatFoundationRefusesNorReadsItDifferently() {
        var random = SplitMix64(seed: 29)
        var read = 0
        var refusedByBoth = 0
        for _ in 0..<3000 {
            let body = BodyGenerator.mangled(BodyGenerator.document(&random), &random)
            let decoded = Self.foundation(body)
            guard let plain = IncomingDocument(plainJSON: body) else {
                if decoded == nil { refusedByBoth += 1 }
                continue
            }
            read += 1
            #expect(decoded == plain, "mangled body read differently (Foundation: \(String(describing: decoded))): \(Array(body))")
        }
        // The mangling must leave both kinds, or the test checks nothing.
        #expect(read > 300)
        #expect(refusedByBoth > 300)
    }

    /// Batches (`IngestBatch`), whole and mangled, against Foundation's reading.
    @Test func readsBatchesAsFoundationDoes() {
        var random = SplitMix64(seed: 41)
        var whole = 0
        var mangledRead = 0
        for round in 0..<1500 {
            var body = BodyGenerator.batch(&random)
            let mangles = round % 2 == 1
            if mangles { body = BodyGenerator.mangled(body, &random) }
            let decoded = try? JSONDecoder().decode(IngestBatch<IncomingDocument>.self, from: Data(body))
            let plain = IngestBatch(plainJSON: body) { reader in try IncomingDocument(reading: &reader) }
            if !mangles {
                #expect(plain != nil, "gave up on \(String(decoding: body, as: UTF8.self))")
                whole += 1
            }
            guard let plain else { continue }
            if mangles { mangledRead += 1 }
            #expect(decoded?.priority == plain.priority && decoded?.coalesced == plain.coalesced && decoded?.documents == plain.documents,
                    "read differently: \(Array(body))")
        }
        #expect(whole == 750)
        #expect(mangledRead > 50)
    }

    @Test(arguments: [
        // Each is valid for Foundation or not; either way the reader leaves it to Foundation.
        #"{"meta":{"tenant":"t","docId":"d","docId":"e"},"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":"d","attributes":{"a":"1","a":"2"}},"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":"d","title":null,"title":"x"},"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":null,"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"meta":{"tenant":"t","docId":"e"}}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":"x","extra":1}"#,
        #"{"meta":{"tenant":"t","docId":"d","future":"field"},"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":"d","deleted":1},"content":null}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":"\ud800"}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":"\udc00\ud800"}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":"x"} {}"#,
        #"{"meta":{"tenant":"t","docId":"d"},"content":["x"]}"#,
        #"{"meta":{"tenant":"t"},"content":"x"}"#,
        #"{"meta":{"tenant":"t","docId":null},"content":"x"}"#,
        #"{"content":"x"}"#,
        #"{"documents":[{"meta":{"tenant":"t","docId":"d"},"content":"x"},]}"#,
        #"{"documents":[{"meta":{"tenant":"t","docId":"d"},"content":"x"},{"meta":{"tenant":"t"}}]}"#,
        #"{"documents":{}}"#,
        #"{"priority":"low"}"#,
        "\u{FEFF}{\"meta\":{\"tenant\":\"t\",\"docId\":\"d\"}}",
        "{\"meta\":{\"tenant\":\"t\",\"docId\":\"d\"},\"content\":\"a\tb\"}",
    ])
    func leavesWhatItDoesNotExpectToFoundation(_ body: String) {
        #expect(IncomingDocument(plainJSON: Array(body.utf8)) == nil)
        #expect(IngestBatch(plainJSON: Array(body.utf8)) { reader in try IncomingDocument(reading: &reader) } == nil)
    }

    @Test func readsEscapesAndNullsAsFoundationDoes() {
        let body = #"""
            { "meta" : { "docId" : "a\/b\u00e9\ud83d\ude00\u0000\"\\\b\f\n\r\t", "tenant":"t", "title": null,
              "deleted": false, "attributes": {"k\u004b": "v", "": ""} }, "content": "caf\u00C9 日本" }
            """#
        let plain = IncomingDocument(plainJSON: Array(body.utf8))
        #expect(plain != nil)
        #expect(plain == Self.foundation(Array(body.utf8)))
        #expect(plain?.meta.docId == "a/bé😀\u{0}\"\\\u{8}\u{C}\n\r\t")
        #expect(plain?.meta.attributes == ["kK": "v", "": ""])
        #expect(plain?.content == "cafÉ 日本")
    }

    /// The worst a tenant can put in one body's attributes: 100,000 keys are
    /// read (the 64-key limit is `Publication`'s), and a key repeated at the
    /// very end still gives up, each key looked up once, not against all before it.
    @Test func readsAHugeAttributesObjectAndCatchesARepeatAtItsEnd() {
        let keys = (0..<100_000).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        let body = #"{"meta":{"tenant":"t","docId":"d","attributes":{"# + keys + #"}},"content":"x"}"#
        #expect(IncomingDocument(plainJSON: Array(body.utf8))?.meta.attributes?.count == 100_000)
        let repeated = #"{"meta":{"tenant":"t","docId":"d","attributes":{"# + keys + #","k0":"w"}},"content":"x"}"#
        #expect(IncomingDocument(plainJSON: Array(repeated.utf8)) == nil)
    }

    @Test func readsInvalidUTF8AsNothing() {
        var body = Array(#"{"meta":{"tenant":"t","docId":"d"},"content":"x"}"#.utf8)
        body.insert(0xFF, at: body.count - 3)
        #expect(IncomingDocument(plainJSON: body) == nil)
        body[body.count - 4] = 0xC3  // the start of a two-byte sequence with no continuation
        #expect(IncomingDocument(plainJSON: body) == nil)
    }
}

/// Generated bodies of `IncomingDocument`, written as a client might write them.
enum BodyGenerator {
    static func pick<T>(_ values: [T], _ random: inout SplitMix64) -> T {
        values[Int(random.next() % UInt64(values.count))]
    }

    static func chance(_ percent: UInt64, _ random: inout SplitMix64) -> Bool {
        random.next() % 100 < percent
    }

    static func whitespace(_ random: inout SplitMix64) -> String {
        chance(70, &random) ? "" : pick([" ", "\n", "\t", "\r\n  ", "   "], &random)
    }

    /// A JSON string literal for a random string, escaped in one of the ways JSON allows.
    static func string(_ random: inout SplitMix64) -> String {
        let pieces = [
            "a", "Z", "0", " ", "/", "é", "日本", "🙂", "\u{7F}", "\u{2028}", "~", "doc-", ".md",
            "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{8}", "\u{C}", "\r",
        ]
        var literal = "\""
        for _ in 0..<Int(random.next() % 12) {
            let piece = pick(pieces, &random)
            for scalar in piece.unicodeScalars {
                switch scalar {
                case "\"": literal += "\\\""
                case "\\": literal += "\\\\"
                case "/": literal += pick(["/", "\\/"], &random)
                case "\n": literal += pick(["\\n", "\\u000a", "\\u000A"], &random)
                case "\t": literal += pick(["\\t", "\\u0009"], &random)
                case "\r": literal += "\\r"
                case "\u{8}": literal += "\\b"
                case "\u{C}": literal += "\\f"
                case _ where scalar.value < 0x20: literal += String(format: "\\u%04x", scalar.value)
                default:
                    guard chance(20, &random) else {
                        literal.unicodeScalars.append(scalar)
                        continue
                    }
                    // As \u escapes: a surrogate pair past the BMP.
                    for unit in String(scalar).utf16 { literal += String(format: pick(["\\u%04x", "\\u%04X"], &random), unit) }
                }
            }
        }
        return literal + "\""
    }

    static func object(_ members: [(String, String)], _ random: inout SplitMix64) -> String {
        var shuffled = members
        shuffled.shuffle(using: &random)
        let body = shuffled.map { key, value in
            "\(whitespace(&random))\"\(key)\"\(whitespace(&random)):\(whitespace(&random))\(value)\(whitespace(&random))"
        }
        return "{" + body.joined(separator: ",") + whitespace(&random) + "}"
    }

    static func document(_ random: inout SplitMix64) -> [UInt8] {
        var meta = [("tenant", string(&random)), ("docId", string(&random))]
        for key in ["sha256", "mimeType", "title", "source", "modifiedAt"] where chance(30, &random) {
            meta.append((key, chance(25, &random) ? "null" : string(&random)))
        }
        if chance(20, &random) { meta.append(("deleted", pick(["true", "false", "null"], &random))) }
        if chance(30, &random) {
            if chance(20, &random) {
                meta.append(("attributes", "null"))
            } else {
                var attributes: [(String, String)] = []
                var names: Set<String> = []
                for index in 0..<Int(random.next() % 5) where names.insert("a\(index)").inserted {
                    attributes.append(("a\(index)", string(&random)))
                }
                meta.append(("attributes", object(attributes, &random)))
            }
        }
        var members = [("meta", object(meta, &random))]
        if chance(85, &random) { members.append(("content", chance(10, &random) ? "null" : string(&random))) }
        return Array((whitespace(&random) + object(members, &random) + whitespace(&random)).utf8)
    }

    static func batch(_ random: inout SplitMix64) -> [UInt8] {
        var members: [(String, String)] = []
        let documents = (0..<Int(random.next() % 5)).map { _ in String(decoding: document(&random), as: UTF8.self) }
        members.append(("documents", "[" + whitespace(&random) + documents.joined(separator: "," + whitespace(&random)) + "]"))
        if chance(50, &random) { members.append(("priority", pick(["\"low\"", "\"high\"", "null", "\"normal\""], &random))) }
        if chance(50, &random) { members.append(("coalesced", pick(["true", "false", "null"], &random))) }
        return Array(object(members, &random).utf8)
    }

    /// `body` with one to three bytes inserted, deleted or replaced.
    static func mangled(_ body: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        let interesting: [UInt8] = Array(#"{}[]",:\/ 0123456789-+.eEnulltruefalse"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xFF]
        var body = body
        for _ in 0...Int(random.next() % 3) where !body.isEmpty {
            let at = Int(random.next() % UInt64(body.count))
            switch random.next() % 3 {
            case 0: body.insert(pick(interesting, &random), at: at)
            case 1: body.remove(at: at)
            default: body[at] = pick(interesting, &random)
            }
        }
        return body
    }
}
