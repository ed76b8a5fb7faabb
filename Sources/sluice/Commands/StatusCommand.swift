import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per tenant: documents indexed, pending, skipped and failed (with reasons); queue depth.")

    @Option(name: .long, help: "Only this tenant, with every skipped and failed document listed.")
    var tenant: String?

    @Flag(name: .long, help: "Print as JSON.")
    var json = false

    @OptionGroup var store: StoreOptions

    struct Report: Codable {
        struct Queue: Codable {
            var ready: [String: Int]
            var delayed: Int
            var leased: Int
            var deadLetters: Int
        }
        struct Problem: Codable {
            var tenant: String
            var docId: String
            var reason: String
        }
        var store: String
        /// Where documents go, as configured for this command (never with a secret).
        var sink: String
        var queue: Queue
        var tenants: [TenantSummary]
        var skipped: [Problem]
        var failed: [Problem]
    }

    func run() async throws {
        let runtime = try store.openExisting()
        let only = try tenant.map { try TenantID($0) }
        let depth = try await runtime.store.depth()
        var tenants = try await runtime.store.tenantSummaries()
        if let only { tenants = tenants.filter { $0.tenant == only.rawValue } }
        var skipped: [Report.Problem] = []
        for summary in tenants where summary.skipped > 0 {
            for document in try await runtime.store.documents(tenant: try TenantID(summary.tenant), status: .skipped) {
                skipped.append(Report.Problem(tenant: summary.tenant, docId: document.key.docId.rawValue, reason: document.reason ?? ""))
            }
        }
        let failed = try await runtime.store.deadLetters(tenant: only).map {
            Report.Problem(tenant: $0.key.tenant.rawValue, docId: $0.key.docId.rawValue, reason: $0.reason)
        }
        let report = Report(
            store: runtime.configuration.storePath,
            sink: runtime.sink.description,
            queue: Report.Queue(
                ready: depth.readyByPriorityName,
                delayed: depth.delayed, leased: depth.leased, deadLetters: depth.dead),
            tenants: tenants, skipped: skipped, failed: failed)
        if json {
            print(try Terminal.json(report))
        } else {
            printReport(report, listAll: only != nil)
        }
    }

    func printReport(_ report: Report, listAll: Bool) {
        print("Store: \(report.store)")
        print("Sink: \(report.sink)")
        let ready = report.queue.ready
        print("Queue: \(ready.values.reduce(0, +)) ready (high \(ready["high"] ?? 0), normal \(ready["normal"] ?? 0), low \(ready["low"] ?? 0)), \(report.queue.delayed) waiting to settle or retry, \(report.queue.leased) in progress, \(report.queue.deadLetters) dead letters")
        if report.tenants.isEmpty {
            print("No tenants yet. Index a folder with: sluice run DIR")
            return
        }
        print("")
        let header = ["TENANT", "INDEXED", "PENDING", "SKIPPED", "FAILED", "DELETED", "CHUNKS", "LAST ACTIVITY"]
        var rows = [header]
        for tenant in report.tenants {
            rows.append([
                tenant.tenant, "\(tenant.indexed)", "\(tenant.pending)", "\(tenant.skipped)", "\(tenant.failed)",
                "\(tenant.deleted)", "\(tenant.chunks)", tenant.lastActivity?.iso8601 ?? "-",
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { index, cell in
                index == 0 || index == row.count - 1
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell.leftPadded(widths[index])
            }.joined(separator: "  "))
        }
        let limit = listAll ? Int.max : 10
        for (title, problems) in [("Skipped", report.skipped), ("Failed (dead letters)", report.failed)] where !problems.isEmpty {
            print("\n\(title):")
            for problem in problems.prefix(limit) { print("  \(problem.tenant)/\(problem.docId): \(problem.reason)") }
            if problems.count > limit {
                print("  ... and \(problems.count - limit) more (sluice status --tenant NAME lists all, --json too)")
            }
        }
    }
}
