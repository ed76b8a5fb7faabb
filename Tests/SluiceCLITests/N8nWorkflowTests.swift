import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceTesting
import Testing

/// examples/n8n/sluice-publish.json: the structure n8n imports, and its two
/// requests, filled in as n8n would fill them, answered by a real `sluice serve`.
@Suite struct N8nWorkflowTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path + "/examples/n8n/sluice-publish.json"

    func workflow() throws -> (raw: String, nodes: [[String: Any]], connections: [String: Any]) {
        let raw = try String(contentsOfFile: Self.path, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
        #expect((object["name"] as? String)?.isEmpty == false)
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let connections = try #require(object["connections"] as? [String: Any])
        return (raw, nodes, connections)
    }

    @Test func theWorkflowHasTheStructureN8nImports() throws {
        let (raw, nodes, connections) = try workflow()
        let known: [String: Set<Double>] = [
            "n8n-nodes-base.webhook": [2], "n8n-nodes-base.httpRequest": [4.2], "n8n-nodes-base.if": [2], "n8n-nodes-base.noOp": [1],
        ]
        var names = Set<String>()
        for node in nodes {
            let name = try #require(node["name"] as? String)
            #expect(names.insert(name).inserted, "node names are unique: \(name)")
            #expect(UUID(uuidString: node["id"] as? String ?? "") != nil, "\(name) has a UUID id")
            let type = node["type"] as? String ?? ""
            #expect(known[type]?.contains(node["typeVersion"] as? Double ?? -1) == true, "\(name): \(type) v\(node["typeVersion"] ?? "?")")
            #expect((node["position"] as? [Double])?.count == 2, "\(name) has a position")
            #expect(node["parameters"] is [String: Any], "\(name) has parameters")
        }
        // Every connection joins existing nodes through `main` outputs; every node but the trigger is reached.
        var reached = Set<String>()
        for (source, outputs) in connections {
            #expect(names.contains(source), "a connection from \(source), which is no node")
            let main = try #require((outputs as? [String: Any])?["main"] as? [[[String: Any]]], "\(source)'s outputs")
            for output in main {
                for link in output {
                    let target = link["node"] as? String ?? ""
                    #expect(names.contains(target) && link["type"] as? String == "main" && link["index"] as? Int == 0, "\(link)")
                    reached.insert(target)
                }
            }
        }
        let trigger = try #require(nodes.first { $0["type"] as? String == "n8n-nodes-base.webhook" })
        #expect(!reached.contains(trigger["name"] as? String ?? ""), "nothing leads into the trigger")
        #expect(reached.union([trigger["name"] as? String ?? ""]) == names, "every node is reached: \(reached)")
        let branches = ((connections["Changed?"] as? [String: Any])?["main"] as? [Any])?.count
        #expect(branches == 2, "the If node's true and false outputs")

        // The HTTP calls: the two of the API, authenticated by a credential, never by a key in the file.
        let calls = nodes.filter { $0["type"] as? String == "n8n-nodes-base.httpRequest" }
        #expect(calls.compactMap { ($0["parameters"] as? [String: Any])?["url"] as? String }.map { URL(string: $0)?.path }
            == ["/v1/ingest/preview", "/v1/ingest/publish"])
        for call in calls {
            let parameters = call["parameters"] as? [String: Any] ?? [:]
            #expect(parameters["method"] as? String == "POST" && parameters["specifyBody"] as? String == "json")
            #expect(parameters["authentication"] as? String == "genericCredentialType" && parameters["genericAuthType"] as? String == "httpHeaderAuth")
            #expect(((call["credentials"] as? [String: Any])?["httpHeaderAuth"] as? [String: Any])?["name"] as? String == "Sluice API key")
        }
        #expect(!raw.contains("Bearer "), "no key in the workflow")
    }

    /// Each request body as n8n makes it: every `{{ JSON.stringify(… .FIELD) }}` replaced by the JSON of that field.
    static func fill(_ template: String, with document: [String: String]) throws -> Data {
        var body = template.hasPrefix("=") ? String(template.dropFirst()) : template
        let expression = try NSRegularExpression(pattern: #"\{\{\s*JSON\.stringify\((.+?)\)\s*\}\}"#)
        while let match = expression.firstMatch(in: body, range: NSRange(body.startIndex..., in: body)) {
            let inner = String(body[Range(match.range(at: 1), in: body)!])
            // `x.title || x.docId`: the first field the document has.
            let fields = inner.components(separatedBy: "||").compactMap { $0.split(separator: ".").last.map { $0.trimmingCharacters(in: .whitespaces) } }
            let value = fields.lazy.compactMap { document[$0] }.first ?? ""
            let json = String(decoding: try JSONSerialization.data(withJSONObject: [value]), as: UTF8.self).dropFirst().dropLast()
            body.replaceSubrange(Range(match.range, in: body)!, with: json)
        }
        return Data(body.utf8)
    }

    @Test(.timeLimit(.minutes(3))) func itsTwoRequestsAreWhatSluicesAPITakes() async throws {
        let (_, nodes, _) = try workflow()
        func template(_ name: String) throws -> String {
            try #require((nodes.first { $0["name"] as? String == name }?["parameters"] as? [String: Any])?["jsonBody"] as? String)
        }
        let document = ["tenant": "acme", "docId": "handbook/leave.md", "content": "# Leave\n\nAsk \"two weeks\" ahead.\n\tTabs too."]

        let work = try TemporaryDirectory("sluice-n8n")
        defer { work.remove() }
        let serve = try ServeProcess(in: work, environment: ["SLUICE_EMBED_DIMENSION": "32"])
        defer { if serve.process.isRunning { serve.process.terminate() } }
        let listening = try #require(try await serve.port(), "sluice serve did not say where it listens: \(serve.log)")

        func post(_ path: String, _ body: Data) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(listening)\(path)")!, timeoutInterval: 20)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
        let (previewed, preview) = try await post("/v1/ingest/preview", try Self.fill(try template("Preview in Sluice"), with: document))
        #expect(previewed == 200, "\(preview)")
        #expect(preview["change"] as? String == "new", "the If node reads `change`: \(preview)")
        let (published, result) = try await post("/v1/ingest/publish", try Self.fill(try template("Publish to Sluice"), with: document))
        #expect(published == 202, "\(result)")
        #expect(result["status"] as? String == "queued" && (result["revision"] as? Int ?? 0) > 0, "\(result)")
        #expect(await serve.stop() == 0)
    }
}
