import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceApp
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Synchronization
import Testing

/// The HTTP API through a real HTTP client (URLSession) against a live
/// `sluice serve` session on an ephemeral loopback port, with workers running.
@Suite(.serialized) struct APITests {
    /// Runs a serving session around `body`.
    func serving(_ body: (URL) async throws -> Void) async throws {
        try await serving { base, _ in try await body(base) }
    }

    func serving(
        adjust: (inout Configuration) -> Void = { _ in }, clock: any SluiceClock = SystemClock(),
        _ body: (URL, SluiceRuntime) async throws -> Void
    ) async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-api").path
        configuration.maxRequestBytes = 200_000
        configuration.maxFileBytes = 100_000
        configuration.maxBatchDocuments = 5
        adjust(&configuration)
        let runtime = try SluiceRuntime(configuration: configuration, clock: clock)
        try await servingAPI(runtime) { base in try await body(URL(string: base)!, runtime) }
    }

    func document(_ tenant: String, _ docId: String, _ content: String?, deleted: Bool = false) -> [String: Any] {
        var meta: [String: Any] = ["tenant": tenant, "docId": docId]
        if deleted { meta["deleted"] = true }
        var document: [String: Any] = ["meta": meta]
        if let content { document["content"] = content }
        return document
    }

    func errorField(_ reply: Reply) -> String? { (reply.json["error"] as? [String: Any])?["field"] as? String }

    /// `?wait=45` in these tests: a wait ends as soon as the document is
    /// indexed, and a suite starting a hundred tests at once on two cores
    /// once took more than 10 s to index one document (the wait used before).
    @Test func publishWaitSearchAndRepublish() async throws {
        try await serving { base in
            let published = try await call(base, "POST", "/v1/ingest/publish?wait=45", body: document("acme", "handbook/intro.md", "# Intro\n\nThirty days of vacation."))
            #expect(published.status == 202)
            #expect(published.json["status"] as? String == "indexed", "\(published.json)")
            let again = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "handbook/intro.md", "# Intro\n\nThirty days of vacation."))
            #expect(again.json["status"] as? String == "unchanged", "republishing the indexed content does no work")
            let state = try await call(base, "GET", "/v1/tenants/acme/documents/handbook%2Fintro.md")
            #expect(state.status == 200 && state.json["chunks"] as? Int == 1 && state.json["status"] as? String == "indexed")
            let search = try await call(base, "POST", "/v1/search", body: ["tenant": "acme", "query": "vacation days", "k": 3])
            let results = search.json["results"] as? [[String: Any]] ?? []
            #expect(results.first?["docId"] as? String == "handbook/intro.md")
            #expect(results.first?["headingPath"] as? [String] == ["Intro"], "each result names the headings above its chunk")
            let other = try await call(base, "POST", "/v1/search", body: ["tenant": "globex", "query": "vacation days"])
            #expect((other.json["results"] as? [Any])?.isEmpty == true, "another tenant sees nothing")
        }
    }

    @Test func aRouteThatDoesNotExistAnswersWithTheSameJSONErrorAsEveryOther() async throws {
        try await serving { base in
            for (method, path) in [("GET", "/v1/nothing-here"), ("DELETE", "/v1/search"), ("GET", "/" + String(repeating: "x", count: 5000))] {
                let reply = try await call(base, method, path)
                let error = reply.json["error"] as? [String: Any]
                #expect(reply.status == 404 && error?["code"] as? String == "not_found", "\(method) \(path.prefix(30)): \(reply.json)")
                let message = error?["message"] as? String ?? ""
                #expect(message.contains("/openapi.json") && message.count < 400, "\(message)")
            }
        }
    }

    /// Keyless loopback mode against what a web page in a local browser can send.
    @Test func keylessModeRefusesWhatABrowserPageCouldSend() async throws {
        try await serving { base, runtime in
            let port = base.port ?? 0
            let intro = document("acme", "intro.md", "# Intro\n\nWelcome.")
            // A cross-site form or fetch without preflight: text/plain or a form type.
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let reply = try await call(base, "POST", "/v1/ingest/publish", body: intro, headers: ["Content-Type": type])
                #expect(reply.status == 415 && (reply.json["error"] as? [String: Any])?["code"] as? String == "unsupported_media_type", "\(type)")
            }
            // DNS rebinding: the page's own name resolves to 127.0.0.1, so the Host is that name.
            let rebound = try await call(base, "GET", "/v1/tenants/acme/progress", headers: ["Host": "attacker.example:\(port)"])
            #expect(rebound.status == 403 && (rebound.json["error"] as? [String: Any])?["code"] as? String == "forbidden_host")
            let tombstone = try await call(base, "DELETE", "/v1/tenants/acme/documents/intro.md", headers: ["Host": "attacker.example"])
            #expect(tombstone.status == 403)
            // A cross-site request carries the page's Origin.
            let foreign = try await call(base, "POST", "/v1/ingest/publish", body: intro, headers: ["Origin": "http://attacker.example"])
            #expect(foreign.status == 403 && (foreign.json["error"] as? [String: Any])?["code"] as? String == "forbidden_origin")
            #expect(try await runtime.store.depth().pending == 0, "nothing refused was queued")
            // What local programs and the dashboard send is served.
            for host in ["localhost:\(port)", "127.0.0.1:\(port)", "localhost"] {
                let reply = try await call(base, "GET", "/v1/tenants/acme/progress", headers: ["Host": host])
                #expect(reply.status == 200, "\(host)")
            }
            let sameOrigin = try await call(
                base, "POST", "/v1/ingest/publish", body: intro,
                headers: ["Origin": "http://127.0.0.1:\(port)", "Content-Type": "application/json; charset=utf-8"])
            #expect(sameOrigin.status == 202)
        }
    }

    /// Two sockets that declare large bodies and send nothing: before, they
    /// held the in-memory budget by their declared length and every tenant's
    /// publish answered 503 for as long as they stayed open.
    @Test func slowClientsHoldNothingAndAreCutOff() async throws {
        try await serving(adjust: {
            $0.maxInflightBytes = 600_000
            $0.apiBodyTimeout = .seconds(1)
        }) { base, _ in
            let script = #"""
                import json, socket, sys, time, urllib.request, urllib.error
                port = int(sys.argv[1])
                def silent():
                    s = socket.create_connection(("127.0.0.1", port))
                    s.sendall(b"POST /v1/ingest/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 150000\r\n\r\n")
                    return s
                slow = [silent(), silent()]
                time.sleep(0.3)
                body = json.dumps({"meta": {"tenant": "globex", "docId": "a.md"}, "content": "# A\n\nwords"}).encode()
                request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/ingest/publish", data=body, headers={"Content-Type": "application/json"})
                try:
                    status = urllib.request.urlopen(request, timeout=60).status
                except urllib.error.HTTPError as error:
                    status = error.code
                out = {"publish": status, "slow": []}
                for s in slow:
                    s.settimeout(20)
                    data, closed = b"", False
                    try:
                        while True:
                            chunk = s.recv(65536)
                            if not chunk:
                                closed = True
                                break
                            data += chunk
                    except socket.timeout:
                        pass
                    out["slow"].append({"status": data.split(b"\r\n", 1)[0].decode(), "closed": closed})
                print(json.dumps(out))
                """#
            let port = String(base.port ?? 0)
            let output = try await runPython(script, [port], needs: "nothing beyond the standard library")
            let result = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(result["publish"] as? Int == 202, "another tenant's publish is served: \(result)")
            let slow = result["slow"] as? [[String: Any]] ?? []
            #expect(slow.count == 2)
            for client in slow {
                #expect(client["closed"] as? Bool == true, "the connection is closed at the body deadline: \(client)")
            }
        }
    }

    /// A batch over the document limit is refused from a scan of the body, before it is decoded:
    /// here its end is not even JSON, which the decoder would have answered with a 400.
    @Test func anOversizedBatchIsRefusedBeforeItIsDecoded() async throws {
        try await serving { base in
            let raw = Data(("{\"documents\": [" + String(repeating: "{}, ", count: 10_000) + "this is not JSON").utf8)
            let reply = try await call(base, "POST", "/v1/ingest/batch", raw: raw)
            #expect(reply.status == 413 && errorField(reply) == "documents", "\(reply.json)")
            let fine = try await call(base, "POST", "/v1/ingest/batch", raw: Data(#"{"documents": [{"meta": {"tenant": "acme", "docId": "a.md"}, "content": "x"}, "#.utf8) + Data(#"{"meta": {"tenant": "acme", "docId": "b.md"}, "content": "[], \"documents\": [{}, {}, {}, {}, {}, {}]"}]}"#.utf8))
            #expect(fine.status == 202, "strings and nested keys are not counted: \(fine.json) \(String(decoding: fine.body, as: UTF8.self))")
        }
    }

    @Test func tombstonesRemoveTheDocument() async throws {
        try await serving { base in
            _ = try await call(base, "POST", "/v1/ingest/publish?wait=45", body: document("acme", "a.md", "alpha text"))
            let deleted = try await call(base, "DELETE", "/v1/tenants/acme/documents/a.md")
            #expect(deleted.status == 202)
            _ = try await call(base, "POST", "/v1/ingest/publish?wait=45", body: document("acme", "b.md", nil, deleted: true))
            var state = try await call(base, "GET", "/v1/tenants/acme/documents/a.md")
            for _ in 0..<200 where state.json["status"] as? String != "deleted" {
                try await Task.sleep(for: .milliseconds(20))
                state = try await call(base, "GET", "/v1/tenants/acme/documents/a.md")
            }
            #expect(state.json["status"] as? String == "deleted" && state.json["chunks"] as? Int == 0)
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/never.md").status == 404)
        }
    }

    @Test func aBatchAcceptsTheValidDocumentsAndNamesTheBadOnes() async throws {
        try await serving { base in
            let reply = try await call(base, "POST", "/v1/ingest/batch", body: [
                "priority": "high",
                "documents": [
                    document("acme", "ok.md", "fine"), document("bad name", "x.md", "x"), ["meta": ["tenant": "acme"]],
                    document("acme", "../escape.md", "x"), document("acme", "ok2.md", "fine too"),
                ],
            ])
            #expect(reply.status == 202 && reply.json["accepted"] as? Int == 2 && reply.json["rejected"] as? Int == 3)
            let results = reply.json["results"] as? [[String: Any]] ?? []
            let fields = results.compactMap { ($0["error"] as? [String: Any])?["field"] as? String }
            #expect(fields == ["documents[1].meta.tenant", "documents[2].meta.docId", "documents[3].meta.docId"])
            let tooMany = try await call(base, "POST", "/v1/ingest/batch", body: ["documents": (0..<6).map { document("acme", "d\($0).md", "x") }])
            #expect(tooMany.status == 413)
            let badPriority = try await call(base, "POST", "/v1/ingest/batch", body: ["priority": "urgent", "documents": []])
            #expect(badPriority.status == 400 && errorField(badPriority) == "priority")
        }
    }

    @Test func hostileInputGetsAClearErrorAndNothingElse() async throws {
        try await serving { base in
            let malformed = try await call(base, "POST", "/v1/ingest/publish", raw: Data("{\"meta\": ".utf8))
            #expect(malformed.status == 400)
            let wrongType = try await call(base, "POST", "/v1/ingest/publish", body: ["meta": ["tenant": 7, "docId": "a"], "content": "x"])
            #expect(wrongType.status == 400 && errorField(wrongType) == "meta.tenant")
            let control = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a\u{7}b.md", "x"))
            #expect(control.status == 400 && errorField(control) == "meta.docId")
            let longTenant = try await call(base, "POST", "/v1/ingest/publish", body: document(String(repeating: "t", count: 500), "a", "x"))
            #expect(longTenant.status == 400 && errorField(longTenant) == "meta.tenant")
            let badHash = try await call(base, "POST", "/v1/ingest/publish", body: ["meta": ["tenant": "acme", "docId": "a", "sha256": "00"], "content": "x"])
            #expect(badHash.status == 400 && errorField(badHash) == "meta.sha256")
            let bigContent = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "big.md", String(repeating: "x", count: 150_000)))
            #expect(bigContent.status == 413 && errorField(bigContent) == "content")
            let bigBody = try await call(base, "POST", "/v1/ingest/publish", raw: Data(repeating: 0x20, count: 300_000))
            #expect(bigBody.status == 413)
            let noContent = try await call(base, "POST", "/v1/ingest/publish", body: ["meta": ["tenant": "acme", "docId": "a"]])
            #expect(noContent.status == 400 && errorField(noContent) == "content")
            #expect(try await call(base, "GET", "/healthz").status == 200, "still serving")
            #expect(try await call(base, "GET", "/readyz").status == 200)
        }
    }

    @Test func previewReportsWithoutWriting() async throws {
        try await serving { base in
            let preview = try await call(base, "POST", "/v1/ingest/preview", body: document("acme", "p.md", "# P\n\nparagraph"))
            #expect(preview.status == 200 && preview.json["change"] as? String == "new" && preview.json["chunks"] as? Int == 1)
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/p.md").status == 404, "preview wrote nothing")
            _ = try await call(base, "POST", "/v1/ingest/publish?wait=45", body: document("acme", "p.md", "# P\n\nparagraph"))
            let same = try await call(base, "POST", "/v1/ingest/preview", body: document("acme", "p.md", "# P\n\nparagraph"))
            #expect(same.json["change"] as? String == "unchanged")
            let changed = try await call(base, "POST", "/v1/ingest/preview", body: document("acme", "p.md", "# P\n\nother"))
            #expect(changed.json["change"] as? String == "changed")
        }
    }

    @Test func searchFiltersOnAttributes() async throws {
        try await serving { base in
            for (docId, team) in [("hr.md", "hr"), ("eng.md", "eng")] {
                var doc = document("acme", docId, "# Leave\n\nThirty days of vacation for the \(team) team.")
                doc["meta"] = ["tenant": "acme", "docId": docId, "attributes": ["team": team, "region": "eu"]]
                let reply = try await call(base, "POST", "/v1/ingest/publish?wait=45", body: doc)
                #expect(reply.json["status"] as? String == "indexed", "\(reply.json)")
            }
            func docIds(_ filter: [String: Any]?) async throws -> [String] {
                var body: [String: Any] = ["tenant": "acme", "query": "vacation days", "k": 10]
                if let filter { body["filter"] = filter }
                let reply = try await call(base, "POST", "/v1/search", body: body)
                #expect(reply.status == 200, "\(reply.json)")
                return ((reply.json["results"] as? [[String: Any]]) ?? []).compactMap { $0["docId"] as? String }.sorted()
            }
            #expect(try await docIds(nil) == ["eng.md", "hr.md"])
            #expect(try await docIds(["attributes": ["team": "hr"]]) == ["hr.md"])
            #expect(try await docIds(["attributes": ["team": "hr", "region": "eu"]]) == ["hr.md"], "every value must match")
            #expect(try await docIds(["attributes": ["team": "hr", "region": "us"]]) == [])
            let bad = try await call(base, "POST", "/v1/search", body: ["tenant": "acme", "query": "x", "filter": ["attributes": ["team": 3]]])
            #expect(bad.status == 400)
        }
    }

    @Test func aCoalescedBatchSkipsTheSettleWindow() async throws {
        // A settle window of a minute: only the coalesced batch can be indexed during the test.
        try await serving(adjust: { $0.settleWindow = .seconds(60); $0.settleMaximum = .seconds(60) }) { base, _ in
            let settled = try await call(base, "POST", "/v1/ingest/batch", body: ["coalesced": true, "documents": [document("acme", "now.md", "ready at once")]])
            let waiting = try await call(base, "POST", "/v1/ingest/batch", body: ["documents": [document("acme", "later.md", "settles for a minute")]])
            #expect(settled.status == 202 && waiting.status == 202)
            var state = try await call(base, "GET", "/v1/tenants/acme/documents/now.md")
            for _ in 0..<500 where state.json["status"] as? String != "indexed" {
                try await Task.sleep(for: .milliseconds(20))
                state = try await call(base, "GET", "/v1/tenants/acme/documents/now.md")
            }
            #expect(state.json["status"] as? String == "indexed", "\(state.json)")
            let later = try await call(base, "GET", "/v1/tenants/acme/documents/later.md")
            #expect(later.json["status"] as? String == "pending" && (later.json["pending"] as? [String: Any])?["state"] as? String == "queued", "\(later.json)")
        }
    }

    @Test func deadLettersAreListedRetriedAndDropped() async throws {
        // An embedder that rejects every request (400): every document ends as a dead letter.
        let embedder = FakeEmbeddingService(dimension: 32)
        embedder.mode.withLock { $0 = .rejecting }
        try await embedder.serving { url in
            try await serving(adjust: {
                $0.embedder = .openai; $0.embedderURL = url; $0.embedderModel = "m"; $0.embeddingDimension = 32
            }) { base, runtime in
                _ = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "handbook/a.md", "alpha"))
                _ = try await call(base, "POST", "/v1/ingest/publish", body: document("globex", "b.md", "beta"))
                var letters: [[String: Any]] = []
                for _ in 0..<1500 where letters.count < 2 {
                    try await Task.sleep(for: .milliseconds(20))
                    letters = (try await call(base, "GET", "/v1/dead-letters").json["deadLetters"] as? [[String: Any]]) ?? []
                }
                #expect(letters.compactMap { $0["id"] as? String }.sorted() == ["acme:handbook/a.md", "globex:b.md"])
                #expect((letters.first?["reason"] as? String)?.contains("is not loaded") == true, "the service's words: \(letters)")
                #expect(try await call(base, "GET", "/v1/dead-letters").json["more"] as? Bool == false)
                let newest = try await call(base, "GET", "/v1/dead-letters?limit=1")
                #expect((newest.json["deadLetters"] as? [[String: Any]])?.count == 1, "?limit=1: the newest one only")
                #expect(newest.json["more"] as? Bool == true, "an older one is left")
                #expect(try await call(base, "GET", "/v1/dead-letters?limit=0").status == 400)
                let (_, acmeKey) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
                let own = try await call(base, "GET", "/v1/dead-letters", key: acmeKey)
                #expect((own.json["deadLetters"] as? [[String: Any]])?.count == 1, "a tenant key sees its own")
                #expect(try await call(base, "DELETE", "/v1/dead-letters/globex:b.md", key: acmeKey).status == 403)
                #expect(try await call(base, "DELETE", "/v1/dead-letters/no-colon", key: acmeKey).status == 400)
                #expect(try await call(base, "DELETE", "/v1/dead-letters/acme:never.md", key: acmeKey).status == 404)
                let dropped = try await call(base, "DELETE", "/v1/dead-letters/acme:handbook%2Fa.md", key: acmeKey)
                #expect(dropped.status == 200 && dropped.json["status"] as? String == "dropped")
                #expect(try await call(base, "GET", "/v1/tenants/acme/documents/handbook%2Fa.md", key: acmeKey).status == 404, "nothing left of it")
                let (_, admin) = try await runtime.store.createKey(tenant: nil, label: nil)
                let retried = try await call(base, "POST", "/v1/dead-letters/globex:b.md/retry", key: admin)
                #expect(retried.status == 202 && retried.json["status"] as? String == "queued")
            }
        }
    }

    @Test func keysScopeRequestsToTheirTenant() async throws {
        try await serving { base, runtime in
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "x")).status == 202, "keyless loopback mode while no key exists")
            let (acmeKey, acme) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            let (_, admin) = try await runtime.store.createKey(tenant: nil, label: "ops")
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y")).status == 401, "a key exists now: none is 401")
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y"), key: "sk_wrong").status == 401)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y"), key: acme).status == 202)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("globex", "a.md", "y"), key: acme).status == 403)
            #expect(try await call(base, "POST", "/v1/search", body: ["tenant": "globex", "query": "y"], key: acme).status == 403)
            #expect(try await call(base, "GET", "/v1/tenants/globex/documents/a.md", key: acme).status == 403)
            #expect(try await call(base, "DELETE", "/v1/tenants/globex/documents/a.md", key: acme).status == 403)
            #expect(try await call(base, "DELETE", "/v1/tenants/acme", key: acme).status == 403, "purging needs an admin key")
            let mixed = try await call(base, "POST", "/v1/ingest/batch", body: ["documents": [document("acme", "b.md", "b"), document("globex", "c.md", "c")]], key: acme)
            let results = mixed.json["results"] as? [[String: Any]] ?? []
            #expect(mixed.json["accepted"] as? Int == 1 && (results.last?["error"] as? [String: Any])?["code"] as? String == "forbidden")
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("globex", "a.md", "y"), key: admin).status == 202)
            #expect(try await call(base, "GET", "/healthz").status == 200, "health needs no key")
            #expect(try await runtime.store.revokeKey(id: acmeKey.id))
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "z"), key: acme).status == 401, "revoked keys stop at once")
            #expect(try await call(base, "DELETE", "/v1/tenants/globex", key: admin).status == 200)
        }
    }

    @Test func keysChangedByAnotherProcessCountFromTheNextRequest() async throws {
        try await serving { base, runtime in
            // Another store on the same file is what `sluice keys` in another process opens.
            let cli = try SQLiteStore(path: runtime.configuration.storePath)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "x")).status == 202)
            let (record, key) = try await cli.createKey(tenant: try TenantID("acme"), label: nil)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y")).status == 401, "keyless mode ends")
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y"), key: key).status == 202)
            #expect(try await cli.revokeKey(id: record.id))
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "z"), key: key).status == 401, "revoked at once")
        }
    }

    /// The server holds the stamp file open (`KeyCache`): a stamp deleted under
    /// it, then made again by the next key change, is found again by its path.
    @Test func keysChangedAfterTheStampWasDeletedCountFromTheNextRequest() async throws {
        try await serving { base, runtime in
            let cli = try SQLiteStore(path: runtime.configuration.storePath)
            let stamp = runtime.configuration.storePath + "-keys-changed"
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "x")).status == 202)
            #expect(FileManager.default.fileExists(atPath: stamp), "the server made a stamp to hold")
            #expect(unlink(stamp) == 0)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "y")).status == 202)
            let (record, key) = try await cli.createKey(tenant: try TenantID("acme"), label: nil)
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "z")).status == 401, "keyless mode ends")
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "z"), key: key).status == 202)
            #expect(unlink(stamp) == 0)
            #expect(try await cli.revokeKey(id: record.id))
            #expect(try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "a.md", "w"), key: key).status == 401, "revoked at once")
        }
    }

    /// What scans found wrong is shown where operators and tenants look: a
    /// tenant's own problems in its progress (its key sees only its own),
    /// every tenant's and the root's in the admin stats.
    @Test func scanProblemsAreInProgressAndStats() async throws {
        try await serving { base, runtime in
            try await runtime.store.replaceProblems(
                [
                    ScanProblem(tenant: "acme", message: "acme/x.md is skipped: a bad name"),
                    ScanProblem(tenant: "globex", message: "globex/.sluiceignore line 2 is not a glob"),
                    ScanProblem(tenant: nil, message: "stray.md is a file at the top of the folder: not a tenant"),
                ],
                of: [try TenantID("acme"), try TenantID("globex")], includingRoot: true)
            let (_, acmeKey) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            let (_, admin) = try await runtime.store.createKey(tenant: nil, label: nil)
            let progress = try await call(base, "GET", "/v1/tenants/acme/progress", key: acmeKey)
            #expect(progress.status == 200 && progress.json["scanProblems"] as? [String] == ["acme/x.md is skipped: a bad name"])
            #expect(try await call(base, "GET", "/v1/tenants/globex/progress", key: acmeKey).status == 403)
            let stats = try await call(base, "GET", "/v1/stats", key: admin)
            #expect(stats.json["scanProblems"] as? [String] == ["stray.md is a file at the top of the folder: not a tenant"])
            let tenants = stats.json["tenants"] as? [[String: Any]] ?? []
            #expect(tenants.first { $0["tenant"] as? String == "globex" }?["scanProblems"] as? [String] == ["globex/.sluiceignore line 2 is not a glob"])
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfterExceptForExemptAddresses() async throws {
        // On a manual clock: the refill comes when the clock says, not when the scheduler lets it.
        let clock = ManualClock()
        try await serving(adjust: { $0.apiRateLimitPerMinute = 60; $0.apiRateLimitExempt = [] }, clock: clock) { base, runtime in
            let (_, key) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key).status == 404)
            let limited = try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key)
            #expect(limited.status == 429 && limited.retryAfter == "1", "one a second: the next token in 1 s")
            #expect((limited.json["error"] as? [String: Any])?["code"] as? String == "rate_limited")
            clock.advance(by: .milliseconds(999))
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key).status == 429, "not yet refilled")
            clock.advance(by: .milliseconds(1))
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key).status == 404, "refilled after 1 s")
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key).status == 429, "and spent")
        }
        try await serving(adjust: { $0.apiRateLimitPerMinute = 60 }) { base, runtime in
            let (_, key) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            for _ in 0..<5 {
                #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key).status == 404, "loopback is exempt by default")
            }
            // A claimed X-Forwarded-For from an untrusted peer changes nothing.
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/x.md", key: key, headers: ["X-Forwarded-For": "203.0.113.9"]).status == 404)
        }
    }

    /// A batch counts each document against the key's limit, as publishing
    /// them one by one would: its debt is waited out by the key's next
    /// requests, and batches sent at once cannot all pass on one token each.
    /// (On a manual clock, the session's stop also shows that the workers'
    /// giving way to the busy intake ends at a graceful shutdown.)
    @Test func aBatchCountsEachOfItsDocumentsAgainstTheRateLimit() async throws {
        let clock = ManualClock()
        try await serving(adjust: { $0.apiRateLimitPerMinute = 600; $0.apiRateLimitExempt = []; $0.maxBatchDocuments = 30 }, clock: clock) { base, runtime in
            let (_, key) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            func batch(_ name: String) -> [String: Any] {
                ["documents": (0..<30).map { document("acme", "\(name)/\($0).md", "# \(name) \($0)\n\nA note.") }]
            }
            // 10 a second, a burst of 10: the batch takes a token, then owes 20 for its other 29 documents.
            let first = try await call(base, "POST", "/v1/ingest/batch", body: batch("first"), key: key)
            #expect(first.status == 202 && first.json["accepted"] as? Int == 30, "\(first.json)")
            let waiting = try await call(base, "GET", "/v1/tenants/acme/documents/first%2F0.md", key: key)
            #expect(waiting.status == 429 && waiting.retryAfter == "3", "21 tokens to go at 10 a second: \(waiting.json)")
            clock.advance(by: .seconds(2))
            let owing = try await call(base, "GET", "/v1/tenants/acme/documents/first%2F0.md", key: key)
            #expect(owing.status == 429 && owing.retryAfter == "1", "one token to go")
            clock.advance(by: .milliseconds(100))
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/first%2F0.md", key: key).status == 200, "repaid after 2.1 s")

            // A full bucket, and eight batches at once: one passes, the others are refused whole.
            clock.advance(by: .seconds(10))
            let names = (0..<8).map { "at-once-\($0)" }
            let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for name in names { group.addTask { (name, try await call(base, "POST", "/v1/ingest/batch", body: batch(name), key: key).status) } }
                return try await group.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
            }
            let accepted = names.filter { statuses[$0] == 202 }
            #expect(accepted.count == 1, "\(names.map { statuses[$0] ?? 0 })")
            #expect(names.allSatisfy { [202, 429].contains(statuses[$0]) })
            for name in names where !accepted.contains(name) {
                let key = DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("\(name)/0.md"))
                #expect(try await runtime.store.entry(key) == nil, "a refused batch publishes nothing")
                #expect(try await runtime.store.documentState(key) == nil)
            }
        }
    }

    /// A document counts once per 64 KiB of its content begun, published
    /// alone or in a batch: a key's large documents cannot pass on one token
    /// each. (Requests charged at once while the bucket is in debt: the batch
    /// test above, the same charge.)
    @Test func aLargeDocumentCountsOncePer64KiBOfItsContent() async throws {
        let clock = ManualClock()
        try await serving(
            adjust: { $0.apiRateLimitPerMinute = 600; $0.apiRateLimitExempt = []; $0.maxRequestBytes = 2 << 20; $0.maxFileBytes = 1 << 20 }, clock: clock
        ) { base, runtime in
            let (_, key) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            func content(kib: Int, extra: Int = 0) -> String { String(repeating: "a line of sixty-four bytes, of which this is the last one......\n", count: kib * 16) + String(repeating: "x", count: extra) }
            // 10 a second, a burst of 10. 640 KiB and a byte counts 11: a token, then 10 more, 1 owed.
            let large = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "large.md", content(kib: 640, extra: 1)), key: key)
            #expect(large.status == 202, "\(large.json)")
            let waiting = try await call(base, "GET", "/v1/tenants/acme/documents/large.md", key: key)
            #expect(waiting.status == 429 && waiting.retryAfter == "1", "2 tokens to go at 10 a second: \(waiting.json)")
            clock.advance(by: .milliseconds(200))
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/large.md", key: key).status == 200, "repaid after 0.2 s")

            // Exactly 64 KiB counts once: the token refilled in 0.1 s pays for it, and nothing more is charged.
            clock.advance(by: .milliseconds(100))
            let small = try await call(base, "POST", "/v1/ingest/publish", body: document("acme", "small.md", content(kib: 64)), key: key)
            #expect(small.status == 202)
            let empty = try await call(base, "GET", "/v1/tenants/acme/documents/small.md", key: key)
            #expect(empty.status == 429 && empty.retryAfter == "1", "empty, not in debt")

            // A batch of two documents of 128 KiB and a byte counts 6: of a full bucket's 10, 4 are left.
            clock.advance(by: .seconds(2))
            let batch = ["documents": [document("acme", "b/1.md", content(kib: 128, extra: 1)), document("acme", "b/2.md", content(kib: 128, extra: 1))]]
            let accepted = try await call(base, "POST", "/v1/ingest/batch", body: batch, key: key)
            #expect(accepted.status == 202 && accepted.json["accepted"] as? Int == 2, "\(accepted.json)")
            for _ in 0..<4 { #expect(try await call(base, "GET", "/v1/tenants/acme/documents/b%2F1.md", key: key).status == 200) }
            #expect(try await call(base, "GET", "/v1/tenants/acme/documents/b%2F1.md", key: key).status == 429, "the fifth request finds the bucket empty")
        }
    }

    @Test func aGracefulShutdownAnswersOrRefusesEachRequestAndLosesNoAcceptedOne() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-api-shutdown").path
        let runtime = try SluiceRuntime(configuration: configuration)
        let session = LiveSession(
            runtime: runtime, watching: nil, listen: LiveSession.Listen(host: "127.0.0.1", port: 0), rescanInterval: nil,
            handleSignals: false)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        var outcomes: [(docId: String, status: Int?)] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await session.run(onReady: { readyContinuation.yield() }) }
            for await _ in ready { break }
            let base = URL(string: "http://127.0.0.1:\(session.port ?? 0)")!
            let answered = AnsweredCount()
            outcomes = try await withThrowingTaskGroup(of: (docId: String, status: Int?)?.self) { clients in
                for index in 0..<200 {
                    clients.addTask {
                        let reply = try? await call(base, "POST", "/v1/ingest/publish", body: document("acme", "doc\(index).md", "content \(index)"))
                        answered.value.withLock { $0 += 1 }
                        // nil: no answer, the connection closed (refused, or cut after the commit: unknown).
                        return ("doc\(index).md", reply?.status)
                    }
                }
                // The stop comes in the middle of the requests: once some are answered (the state, not a guessed time).
                clients.addTask {
                    _ = try await eventually(within: .seconds(60), every: .milliseconds(1)) { answered.value.withLock { $0 } >= 20 }
                    await session.stop()
                    return nil
                }
                var outcomes: [(docId: String, status: Int?)] = []
                for try await outcome in clients { if let outcome { outcomes.append(outcome) } }
                return outcomes
            }
            try await group.waitForAll()
        }
        #expect(outcomes.count == 200, "every request ended")
        #expect(outcomes.allSatisfy { [202, 503, nil].contains($0.status) }, "answered or cleanly refused: \(Set(outcomes.map(\.status)))")
        let accepted = outcomes.filter { $0.status == 202 }.map(\.docId)
        let refused = outcomes.filter { $0.status == 503 }.map(\.docId)
        #expect(accepted.count >= 20, "the stop came after 20 answers")
        // Every accepted document is durable: indexed, or still queued for the next start.
        let reopened = try SluiceRuntime(configuration: configuration)
        let indexed = Set(try await reopened.store.documents(tenant: try TenantID("acme"), status: nil).map(\.key.docId.rawValue))
        // Rows still queued are leasable once their settle window (at most SLUICE_SETTLE_MAX_MS) has passed.
        try await Task.sleep(for: .milliseconds(2100))
        let queued = Set(try await reopened.store.lease(limit: 1000, duration: .seconds(30)).map(\.key.docId.rawValue))
        let missing = Set(accepted).subtracting(indexed.union(queued))
        #expect(missing.isEmpty, "accepted but neither indexed nor queued: \(missing.sorted().prefix(5))")
        // A 503 is an honest refusal: nothing of the request was kept.
        let kept = Set(refused).intersection(indexed.union(queued))
        #expect(kept.isEmpty, "refused with 503 but stored: \(kept.sorted().prefix(5))")
    }
}

/// How many requests were answered so far, shared by a test's client tasks.
final class AnsweredCount: Sendable {
    let value = Mutex(0)
}
