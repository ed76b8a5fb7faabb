import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceBench
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `GET /metrics` of a live server after known work, parsed by Prometheus's
/// own text-format parser (`prometheus_client` from PyPI).
@Suite(.serialized, .timeLimit(.minutes(5))) struct MetricsTests {
    /// Every sample, keyed by `name{label="value",...}` with labels sorted.
    func parse(_ exposition: [UInt8]) async throws -> (families: Set<String>, samples: [String: Double]) {
        let directory = try TemporaryDirectory("sluice-metrics")
        try Data(exposition).write(to: URL(fileURLWithPath: directory.path + "/metrics.txt"))
        let data = try await runPython("""
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            families, samples = [], {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                families.append(family.name)
                for sample in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                    samples[f"{sample.name}{{{labels}}}"] = sample.value
            print(json.dumps({"families": families, "samples": samples}))
            """, [directory.path + "/metrics.txt"], needs: "prometheus_client")
        struct Parsed: Decodable {
            var families: [String]
            var samples: [String: Double]
        }
        guard let parsed = try? JSONDecoder().decode(Parsed.self, from: data) else {
            throw TestServerError("prometheus_client could not parse /metrics (pip install prometheus_client): \(String(decoding: data, as: UTF8.self))")
        }
        return (Set(parsed.families), parsed.samples)
    }

    func post(_ url: String, _ body: Any) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return Int(try await RemoteHTTP.client.execute(request, timeout: .seconds(30)).status.code)
    }

    func batch(_ contents: [(String, String)]) -> [String: Any] {
        ["documents": contents.map { ["meta": ["tenant": "acme", "docId": $0.0], "content": $0.1] }]
    }

    @Test func countersMatchKnownWorkAndTheTextParses() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-metrics-data").path
        configuration.embeddingDimension = 32
        // Long enough that a second publish of a document lands on its pending change.
        configuration.settleWindow = .seconds(2)
        configuration.settleMaximum = .seconds(4)
        let runtime = try SluiceRuntime(configuration: configuration)
        try await servingAPI(runtime) { base in
            // 100 documents, then 20 of them again before they were processed: 20 superseded changes.
            #expect(try await post(base + "/v1/ingest/batch", batch((0..<100).map { ("doc\($0).md", "first version of \($0)") })) == 202)
            #expect(try await post(base + "/v1/ingest/batch", batch((0..<20).map { ("doc\($0).md", "second version of \($0)") })) == 202)
            for _ in 0..<400 {
                if try await runtime.store.depth().pending == 0 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await runtime.store.depth().pending == 0)

            var request = HTTPClientRequest(url: base + "/metrics")
            request.method = .GET
            let response = try await RemoteHTTP.client.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            let body = Array(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            let (families, samples) = try await parse(body)

            for family in [
                "sluice_queue_depth", "sluice_documents_processed", "sluice_changes_superseded", "sluice_change_to_indexed_seconds",
                "sluice_stage_seconds", "sluice_chunks_embedded", "sluice_chunks_reused", "sluice_dead_letters",
                "sluice_api_rate_limited", "sluice_watch_events", "sluice_rescans", "sluice_build_info",
                "sluice_tenant_pending_documents", "sluice_tenant_failed_documents", "sluice_tenant_indexed_documents",
                "sluice_alert_active", "sluice_error_rate",
                // The standard names every Prometheus client library reports a process under.
                "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_cpu_seconds", "process_open_fds",
                "process_max_fds", "process_start_time_seconds",
            ] {
                #expect(families.contains(family), "\(family) is missing; families: \(families.sorted())")
            }
            #expect(samples[#"sluice_documents_processed_total{outcome="indexed"}"#] == 100)
            #expect(samples[#"sluice_documents_processed_total{outcome="failed"}"#] == 0, "declared at zero, for rate() from the start")
            #expect(samples[#"sluice_changes_superseded_total{}"#] == 20)
            #expect(samples[#"sluice_attempts_total{result="ok"}"#] == 100)
            #expect(samples[#"sluice_attempts_total{result="failed"}"#] == 0)
            #expect(samples[#"sluice_tenant_indexed_documents{tenant="acme"}"#] == 100)
            #expect(samples[#"sluice_tenant_pending_documents{tenant="acme"}"#] == 0)
            #expect(samples["sluice_build_info{version=\"\(SluiceVersion.current)\"}"] == 1)
            #expect(!samples.keys.contains { $0.hasPrefix("sluice_documents_processed_total") && $0.contains("tenant=") }, "no tenant label on counters")
            #expect(samples[#"sluice_change_to_indexed_seconds_count{}"#] == 100)
            #expect(samples[#"sluice_stage_seconds_count{stage="chunk"}"#] == 100)
            #expect((samples[#"sluice_chunks_embedded_total{}"#] ?? 0) + (samples[#"sluice_chunks_reused_total{}"#] ?? 0) >= 100)
            #expect(samples[#"sluice_queue_depth{priority="normal",state="ready"}"#] == 0)
            #expect(samples[#"sluice_dead_letters{}"#] == 0)
            #expect((samples[#"process_resident_memory_bytes{}"#] ?? 0) > 1_000_000)
            #expect((samples[#"process_virtual_memory_bytes{}"#] ?? 0) >= samples[#"process_resident_memory_bytes{}"#] ?? 0)
            #expect((samples[#"process_cpu_seconds_total{}"#] ?? 0) > 0)
            #expect((samples[#"process_open_fds{}"#] ?? 0) > 3)
            #expect((samples[#"process_max_fds{}"#] ?? 0) >= samples[#"process_open_fds{}"#] ?? 0)
            let started = samples[#"process_start_time_seconds{}"#] ?? 0
            #expect(started > Date().timeIntervalSince1970 - 86_400 && started <= Date().timeIntervalSince1970 + 5, "\(started)")
        }
    }

    @Test func eachRuntimeHasItsOwnCounters() throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-metrics-a").path
        let first = try SluiceRuntime(configuration: configuration)
        configuration.dataDirectory = try TemporaryDirectory("sluice-metrics-b").path
        let second = try SluiceRuntime(configuration: configuration)
        first.metrics.processed(outcome: "indexed")
        #expect(String(decoding: first.metricsRegistry.emitToBuffer(), as: UTF8.self).contains(#"sluice_documents_processed_total{outcome="indexed"} 1"#))
        #expect(!String(decoding: second.metricsRegistry.emitToBuffer(), as: UTF8.self).contains(#"sluice_documents_processed_total{outcome="indexed"} 1"#))
    }

    /// 10,000 tenants must not make 10,000 series of a family: the ones with the
    /// most work waiting get their own, the others one `(other)` series between them.
    @Test func tenantSeriesAreBoundedAndTheRestSummed() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-metrics-tenants").path
        configuration.metricsTenantSeries = 3
        let runtime = try SluiceRuntime(configuration: configuration)
        var tenants = (0..<1000).map { TenantSummary(tenant: "t\($0)", indexed: 1, pending: $0 % 10 == 0 ? 500 + $0 : 1, failed: $0 == 7 ? 2 : 0) }
        runtime.metrics.tenantBacklogs(tenants)
        var (families, samples) = try await parse(runtime.metricsRegistry.emitToBuffer())
        #expect(families.contains("sluice_tenant_pending_documents"))
        func series(_ family: String) -> [String: Double] {
            samples.filter { $0.key.hasPrefix(family + "{") }.reduce(into: [:]) { $0[$1.key] = $1.value }
        }
        // 97 other tenants of 500 + their number, 900 of 1.
        let otherPending: Int = (0..<970).filter { $0 % 10 == 0 }.reduce(0) { $0 + 500 + $1 } + 900
        let expected: [String: Double] = [
            "t990": 1490, "t980": 1480, "t970": 1470, "(other)": Double(otherPending),
        ].reduce(into: [:]) { $0["sluice_tenant_pending_documents{tenant=\"\($1.key)\"}"] = $1.value }
        #expect(series("sluice_tenant_pending_documents") == expected)
        #expect(series("sluice_tenant_failed_documents")[#"sluice_tenant_failed_documents{tenant="(other)"}"#] == 2)
        #expect(series("sluice_tenant_indexed_documents")[#"sluice_tenant_indexed_documents{tenant="(other)"}"#] == 997)

        // The backlog moves: t5 now has the most, t990 is done. t990's series go rather than stay stale.
        tenants[5].pending = 10_000
        tenants[990].pending = 0
        runtime.metrics.tenantBacklogs(tenants)
        (families, samples) = try await parse(runtime.metricsRegistry.emitToBuffer())
        #expect(Set(series("sluice_tenant_pending_documents").keys) == Set(["t5", "t980", "t970", "(other)"].map {
            "sluice_tenant_pending_documents{tenant=\"\($0)\"}"
        }))
        #expect(series("sluice_tenant_indexed_documents").count == 4)
    }
}
