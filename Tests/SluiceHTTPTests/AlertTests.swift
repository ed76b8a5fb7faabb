import Foundation
import SluiceApp
import SluiceCore
import SluiceTesting
import Testing

/// Alerts of a live server: raised once when the queue passes
/// SLUICE_ALERT_QUEUE_DEPTH, listed in `/v1/stats`, a gauge in `/metrics`,
/// and cleared once when the queue is back under it.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AlertTests {
    @Test func queueDepthAlertRaisesAndClearsOnce() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-alerts").path
        configuration.embeddingDimension = 32
        configuration.alertThresholds.queueDepth = 5
        // The changes wait to settle long enough to be counted.
        configuration.settleWindow = .seconds(600)
        configuration.settleMaximum = .seconds(600)
        let log = LogRecorder()
        let runtime = try SluiceRuntime(configuration: configuration, logger: log.logger())
        try await servingAPI(runtime) { address in
            let base = URL(string: address)!
            let documents = (0..<8).map { ["meta": ["tenant": "acme", "docId": "doc\($0).md"], "content": "text \($0)"] }
            #expect(try await call(base, "POST", "/v1/ingest/batch", body: ["documents": documents]).status == 202)
            for _ in 0..<3 { try await runtime.checkHealth() }
            #expect(log.messages(containing: "alert queue_depth raised").count == 1, "raised once, not on every check")

            let stats = try await call(base, "GET", "/v1/stats")
            let alerts = stats.json["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.map { $0["name"] as? String } == ["queue_depth"], "\(stats.json)")
            #expect(alerts.first?["value"] as? Double == 8 && alerts.first?["threshold"] as? Double == 5)
            #expect((alerts.first?["message"] as? String)?.contains("SLUICE_ALERT_QUEUE_DEPTH=5") == true)
            let history = stats.json["history"] as? [[String: Any]] ?? []
            #expect(history.last?["queued"] as? Int == 8, "the latest sample shows the backlog")
            #expect((stats.json["errorRate"] as? [String: Any])?["windowSeconds"] as? Int == 300)
            #expect(try await gauge(base, "queue_depth") == 1)

            // The backlog goes (the tenant is purged): the alert clears, once.
            #expect(try await call(base, "DELETE", "/v1/tenants/acme").status == 200)
            for _ in 0..<3 { try await runtime.checkHealth() }
            #expect(log.messages(containing: "alert queue_depth cleared").count == 1)
            let cleared = try await call(base, "GET", "/v1/stats")
            #expect((cleared.json["alerts"] as? [Any])?.isEmpty == true)
            #expect(try await gauge(base, "queue_depth") == 0)
            #expect(try await gauge(base, "error_rate") == 0)
        }
    }

    /// The value of `sluice_alert_active{alert="NAME"}` in `/metrics`.
    func gauge(_ base: URL, _ name: String) async throws -> Double? {
        let reply = try await call(base, "GET", "/metrics")
        let line = String(decoding: reply.body, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("sluice_alert_active{") && $0.contains(#"alert="\#(name)""#) }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }
}
