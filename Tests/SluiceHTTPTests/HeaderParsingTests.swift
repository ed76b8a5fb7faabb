import Hummingbird
@testable import SluiceHTTP
import Testing

/// The checks every request's headers go through, parsed on their bytes.
@Suite struct HeaderParsingTests {
    @Test(arguments: [
        ("application/json", true), ("Application/JSON", true), ("application/json; charset=utf-8", true),
        ("  application/json  ;charset=utf-8", true), ("\tapplication/json\t", true), ("application/json;", true),
        ("text/plain", false), ("application/jsonx", false), ("application/json-seq", false), ("application/x-json", false),
        ("application / json", false), ("", false), (";application/json", false), ("multipart/form-data; boundary=application/json", false),
    ])
    func contentTypeNamesJSON(contentType: String, expected: Bool) {
        #expect(API.namesJSON(contentType) == expected, "\(contentType)")
    }

    @Test(arguments: [
        ("localhost", true), ("LOCALHOST:8080", true), ("localhost.", true), ("127.0.0.1", true), ("127.8.9.10:443", true),
        ("[::1]", true), ("[::1]:8080", true), ("[::ffff:127.0.0.1]:80", true),
        ("localhost.evil.example", false), ("127.0.0.1.evil.example", false), ("evil.example:8080", false), ("128.0.0.1", false),
        ("127.0.0.1:80x", false), ("[::1]x", false), ("[::2]", false), ("", false),
        ("[::FFFF:127.0.0.1]", true), ("LocalHost.:1", true), ("127.0.0.1:", true), ("127.0.0.1:\u{0668}0", false),
        ("[::1]:8x", false), ("[::1", false), ("localhost:80:80", false), ("localhos", false), ("127.0.0.1 ", false),
    ])
    func loopbackNames(authority: String, expected: Bool) {
        #expect(AccessControl.isLoopbackName(authority) == expected, "\(authority)")
    }

    @Test(arguments: [
        ("Bearer sk_abc", "sk_abc"), ("bearer sk_abc", "sk_abc"), ("BEARER   sk_abc \t", "sk_abc"), ("Bearer\tsk_abc", nil),
        ("Bearer ", ""), ("Basic dXNlcjpwYXNz", nil), ("Bearer", nil), ("Bearersk_abc", nil), ("Bearer sk é", "sk é"),
    ] as [(String, String?)])
    func bearerTokens(header: String, expected: String?) {
        #expect(AccessControl.bearerToken(header) == expected, "\(header)")
    }

    /// `value` reads a field as the subscript does, joined when it is sent more than once.
    @Test(arguments: [
        [], [("Content-Type", "application/json")], [("content-type", "application/json"), ("X-Other", "1")],
        [("Content-Type", "application/json"), ("content-type", "text/plain")], [("X-Other", "1")],
        [("Authorization", "Bearer a"), ("Content-Type", ""), ("CONTENT-TYPE", "b"), ("Content-Type", "c")],
    ] as [[(String, String)]])
    func valueReadsAsTheSubscript(fields: [(String, String)]) throws {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPFields.Element(name: try #require(.init(name)), value: value)) }
        #expect(headers.value(.contentType) == headers[.contentType], "\(fields)")
        #expect(headers.value(.xForwardedFor) == nil)
    }
}
