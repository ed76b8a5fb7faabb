import Foundation
import SluiceApp
import SluiceCore
import SluiceTesting
import Testing

/// deploy/prometheus and deploy/grafana, checked with Prometheus's own
/// `promtool` (Debian's `prometheus` package, installed by .ci/run) and
/// against the metrics a runtime really exports.
@Suite struct MonitoringFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs promtool; its exit status and what it wrote.
    func promtool(_ arguments: [String], in directory: String) async throws -> (Int32, String) {
        guard let path = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile) else {
            throw SluiceError(.notFound, "promtool is not installed: apt-get install prometheus (.ci/run does)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        return (status, String(decoding: data, as: UTF8.self))
    }

    @Test func theAlertRulesAreValidAndFireWhenSluicesOwnAlertsWould() async throws {
        let directory = Self.root + "/deploy/prometheus"
        let (checked, checkOutput) = try await promtool(["check", "rules", "alerts.yml"], in: directory)
        #expect(checked == 0, "\(checkOutput)")
        #expect(checkOutput.contains("SUCCESS: 3 rules found"), "\(checkOutput)")
        let (tested, testOutput) = try await promtool(["test", "rules", "alerts.test.yml"], in: directory)
        #expect(tested == 0, "\(testOutput)")
        // The rules stand for Sluice's own alerts, one each.
        let rules = try String(contentsOfFile: directory + "/alerts.yml", encoding: .utf8)
        for (alert, threshold) in [("SluiceQueueDepth", "> 10000"), ("SluiceErrorRate", "> 0.1"), ("SluiceCircuitOpen", "for: 1m")] {
            #expect(rules.contains("alert: \(alert)") && rules.contains(threshold), "\(alert)")
        }
        #expect(Alert.names == ["queue_depth", "error_rate", "circuit_open"], "a new alert of Sluice's needs its rule here")
    }

    /// Every expression of the dashboard parses (as a recording rule, which
    /// promtool checks) and names only metrics a runtime exports.
    @Test func everyDashboardExpressionParsesAndNamesOnlyExportedMetrics() async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/deploy/grafana/sluice.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 20, "\(expressions.count) expressions")
        for family in ["sluice_queue_depth", "sluice_documents_processed_total", "sluice_change_to_indexed_seconds_bucket",
                       "sluice_attempts_total", "sluice_circuit_state", "sluice_tenant_pending_documents"] {
            #expect(expressions.contains { $0.contains(family) }, "the dashboard shows \(family)")
        }

        // Grafana's variables as Prometheus would get them.
        let concrete = expressions.map { $0.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(of: "$job", with: ".*") }
        let work = try TemporaryDirectory("sluice-dashboard")
        defer { work.remove() }
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in concrete.enumerated() {
            let quoted = String(data: try JSONSerialization.data(withJSONObject: [expression], options: [.withoutEscapingSlashes]), encoding: .utf8)!
            rules += "      - record: sluice:dashboard_\(index)\n        expr: \(quoted.dropFirst().dropLast())\n"
        }
        _ = try work.write("dashboard-rules.yml", rules)
        let (status, output) = try await promtool(["check", "rules", "dashboard-rules.yml"], in: work.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("SUCCESS: \(concrete.count) rules found"), "\(output)")

        // The names in them, against a runtime's exposition (with a remote sink, so destinations have series, and a tenant).
        var configuration = Configuration()
        configuration.dataDirectory = work.path + "/data"
        configuration.sink = .webhook
        configuration.webhookURL = "http://127.0.0.1:9/hook"
        let runtime = try SluiceRuntime(configuration: configuration)
        _ = try await runtime.store.publish([try Publication(
            IncomingDocument(meta: DocumentMeta(tenant: "acme", docId: "a.md"), content: "# A\n\nwords"), priority: .normal, maxContentBytes: 1 << 20)])
        let exposition = String(decoding: try await runtime.metricsExposition(), as: UTF8.self)
        let exported = Set(exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
        })
        let named = try NSRegularExpression(pattern: #"\b(sluice_[a-z_]+|process_[a-z_]+)\b"#)
        for expression in concrete {
            for match in named.matches(in: expression, range: NSRange(expression.startIndex..., in: expression)) {
                let name = String(expression[Range(match.range, in: expression)!])
                #expect(exported.contains(name), "\(name) in \(expression) is not exported; exported: \(exported.sorted())")
            }
        }
    }
}
