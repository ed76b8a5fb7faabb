import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceBench
import Testing

/// `sluice bench --http-ceiling`, the publish bar's reference in
/// `bench/api-bars.sh`: it reads the document it is sent, and answers.
@Suite struct HTTPCeilingTests {
    @Test func readsThePublishedDocumentAndAnswers() async throws {
        try await servingOnLoopback(HTTPCeiling.router()) { port in
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ingest/publish")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(##"{"meta":{"tenant":"acme","docId":"notes/a.md"},"content":"# A\n\nText."}"##.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202)
            #expect(try JSONSerialization.jsonObject(with: data) as? [String: String] == ["status": "queued", "docId": "notes/a.md"])
            request.httpBody = Data(#"{"meta":{"tenant":"acme"},"content":"no docId"}"#.utf8)
            let (_, refused) = try await URLSession.shared.data(for: request)
            #expect((refused as? HTTPURLResponse)?.statusCode == 400, "a document it cannot read is refused, as Sluice refuses it")
            let (_, health) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!)
            #expect((health as? HTTPURLResponse)?.statusCode == 200)
        }
    }
}
