import Foundation
import SluiceApp
import SluiceBench
import SluiceCore
import SluiceTesting
import Testing

/// The dashboard at `/`: a public, self-contained page (nothing loaded from
/// elsewhere) whose data routes need an admin key once keys exist; rendered
/// by headless Chromium (Debian's `chromium`, installed by `.ci/run`) against
/// a live server, with 1,000 tenants.
@Suite(.serialized, .timeLimit(.minutes(3))) struct DashboardTests {
    func runtime(_ adjust: (inout Configuration) -> Void = { _ in }) throws -> SluiceRuntime {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-dashboard").path
        configuration.embeddingDimension = 32
        adjust(&configuration)
        return try SluiceRuntime(configuration: configuration)
    }

    @Test func thePageIsSelfContainedHTMLAndItsDataNeedsAKey() async throws {
        let runtime = try runtime()
        try await servingAPI(runtime) { address in
            let base = URL(string: address)!
            let page = try await call(base, "GET", "/")
            #expect(page.status == 200)
            #expect(page.contentType == "text/html; charset=utf-8")
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.hasPrefix("<!doctype html>") && html.contains("/v1/stats") && html.contains("/v1/dead-letters"))
            // Nothing from elsewhere: no absolute or protocol-relative address, no external script, style sheet, font or image.
            for pattern in [#"https?:"#, #"(src|href|action)\s*=\s*["']?//"#, #"<script[^>]+src"#, #"<link"#, #"@import"#, #"url\("#, #"@font-face"#, #"<iframe"#] {
                #expect(html.range(of: pattern, options: [.regularExpression, .caseInsensitive]) == nil, "the page references something outside itself: \(pattern)")
            }

            // Keys exist: the page stays public, its data routes do not.
            let (_, admin) = try await runtime.store.createKey(tenant: nil, label: "ops")
            let (_, tenantKey) = try await runtime.store.createKey(tenant: try TenantID("acme"), label: nil)
            #expect(try await call(base, "GET", "/").status == 200)
            #expect(try await call(base, "GET", "/v1/stats").status == 401)
            #expect(try await call(base, "GET", "/v1/stats", key: tenantKey).status == 403)
            let stats = try await call(base, "GET", "/v1/stats", key: admin)
            #expect(stats.status == 200)
            for field in ["generatedAt", "queue", "alerts", "errorRate", "destinations", "history", "tenants"] {
                #expect(stats.json[field] != nil, "/v1/stats lacks \(field)")
            }
            #expect(try await call(base, "GET", "/v1/dead-letters", key: admin).status == 200)
        }
    }

    @Test func chromiumRendersAThousandTenantsSortedAndFiltered() async throws {
        let runtime = try runtime()
        try await servingAPI(runtime) { address in
            let base = URL(string: address)!
            // 1,000 tenants, one document each; t-0999 gets three, so it has the most indexed.
            for start in stride(from: 0, to: 1000, by: 500) {
                let documents = (start..<start + 500).map { index in
                    ["meta": ["tenant": String(format: "t-%04d", index), "docId": "a.md"], "content": "document of tenant \(index)"]
                }
                #expect(try await call(base, "POST", "/v1/ingest/batch", body: ["documents": documents]).status == 202)
            }
            let extra = (0..<2).map { ["meta": ["tenant": "t-0999", "docId": "more-\($0).md"], "content": "more \($0)"] }
            #expect(try await call(base, "POST", "/v1/ingest/batch", body: ["documents": extra]).status == 202)
            for _ in 0..<600 where try await runtime.store.depth().pending > 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await runtime.checkHealth()

            // Sorted by indexed documents, most first: t-0999 leads; 100 rows of 1,000 are shown.
            let sorted = try await chromium(address + "/#sort=indexed&order=desc")
            #expect(sorted.contains("100 of 1,000 shown"), "\(sorted.prefix(2000))")
            let rows = tenantRows(sorted)
            #expect(rows.count == 100)
            #expect(rows.first == "t-0999", "\(rows.prefix(3))")
            #expect(sorted.contains("updated "), "the page fetched its data")

            // Filtered: the hundred tenants t-09xx, by name.
            let filtered = try await chromium(address + "/#filter=t-09&sort=tenant&order=asc")
            #expect(filtered.contains("100 of 100 shown (1,000 in all)"), "\(filtered.prefix(2000))")
            #expect(tenantRows(filtered).first == "t-0900" && tenantRows(filtered).last == "t-0999")
        }
    }

    @Test func chromiumShowsFailuresWithTheirReasonsAndAlerts() async throws {
        // An embedder that rejects every request (400): every document ends as a dead letter.
        let embedder = FakeEmbeddingService(dimension: 32)
        embedder.mode.withLock { $0 = .rejecting }
        try await embedder.serving { url in
            let runtime = try runtime {
                $0.embedder = .openai; $0.embedderURL = url; $0.embedderModel = "m"
                $0.alertThresholds.minimumAttempts = 3
            }
            try await servingAPI(runtime) { address in
                let base = URL(string: address)!
                let documents = (0..<3).map { ["meta": ["tenant": "acme", "docId": "broken-\($0).md"], "content": "text \($0)"] }
                #expect(try await call(base, "POST", "/v1/ingest/batch", body: ["documents": documents]).status == 202)
                for _ in 0..<600 where try await runtime.store.depth().dead < 3 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await runtime.checkHealth()
                let dom = try await chromium(address + "/")
                guard let failures = dom.range(of: #"<div id="failures"[\s\S]*?</section>"#, options: .regularExpression) else {
                    Issue.record("no failures section: \(dom.prefix(2000))")
                    return
                }
                let section = String(dom[failures])
                for index in 0..<3 { #expect(section.contains("acme:broken-\(index).md")) }
                #expect(section.contains("is not loaded"), "the reason is shown: \(section.prefix(1500))")
                #expect(section.components(separatedBy: ">Retry</button>").count == 4, "a Retry button per failure")
                #expect(dom.contains("<b>error_rate</b>"), "the error-rate alert is shown")
            }
        }
    }

    /// The tenant names in the table's first column, in order.
    func tenantRows(_ dom: String) -> [String] {
        guard let body = dom.range(of: #"<tbody id="tenants">(.*?)</tbody>"#, options: .regularExpression) else { return [] }
        let table = String(dom[body])
        return table.components(separatedBy: "<tr><td>").dropFirst().compactMap { $0.components(separatedBy: "</td>").first }
    }

    /// The page's DOM after its script ran, from headless Chromium.
    func chromium(_ url: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=4000", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        guard status == 0 else {
            throw TestServerError("chromium failed (exit \(status)); install Debian's chromium (.ci/run does)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
