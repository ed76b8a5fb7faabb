import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per tenant: documents indexed, pending, skipped and failed (with reasons); queue depth.",
        discussion: """
            With --watch, a live view of the onboardings in progress (a progress bar per tenant, \
            files per minute and ETA), read from the store while `sluice run` or `sluice serve` \
            works; on a terminal it redraws in place, otherwise it prints timestamped lines.
            """)

    @Option(name: .long, help: "Only this tenant, with every skipped and failed document listed.")
    var tenant: String?

    @Flag(name: .long, help: "Print as JSON.")
    var json = false

    @Flag(name: .long, help: "Keep watching: a progress bar per tenant onboarding, with files per minute and ETA (Ctrl-C stops).")
    var watch = false

    @Option(name: .long, help: "With --watch: seconds between refreshes.")
    var interval: Double = 2

    @Flag(name: .long, help: "With --watch: stop once nothing is pending (for scripts waiting for an onboarding to finish).")
    var untilIdle = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("--interval must be from 0.1 to 3600 seconds") }
        if untilIdle && !watch { throw ValidationError("--until-idle goes with --watch") }
        if watch && json { throw ValidationError("--watch prints lines, not JSON; use `sluice status --json` in a loop, or GET /v1/stats") }
    }

    struct Report: Codable {
        struct Problem: Codable {
            var tenant: String
            var docId: String
            var reason: String
        }
        var store: String
        /// Where documents go, as configured for this command (never with a secret).
        var sink: String
        var queue: QueueDepth.Summary
        var tenants: [TenantSummary]
        struct ReasonCount: Codable {
            var reason: String
            var count: Int
        }
        var skipped: [Problem]
        /// The skips counted by reason, most frequent first.
        var skippedByReason: [ReasonCount]
        var failed: [Problem]
        /// What the last scans could not cover (an unreadable folder, a name that cannot be a document).
        var scanProblems: [ScanProblem]
        /// The settings this command runs with that differ from their defaults (a secret only as set).
        var settings: [SettingValue]

        struct SettingValue: Codable {
            var variable: String
            var value: String
        }
    }

    func run() async throws {
        let runtime = try await store.openExisting(sinkRequired: false)
        let only = try tenant.map { try TenantID($0) }
        if watch {
            try await watch(runtime, only: only)
            return
        }
        let depth = try await runtime.store.depth()
        let tenants = try await runtime.store.tenantSummaries(tenant: only)
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
            store: try runtime.configuration.storeTarget.description,
            sink: runtime.sink.description,
            queue: depth.summary,
            tenants: tenants, skipped: skipped,
            skippedByReason: Dictionary(grouping: skipped, by: \.reason)
                .map { Report.ReasonCount(reason: $0.key, count: $0.value.count) }
                .sorted { ($0.count, $1.reason) > ($1.count, $0.reason) },
            failed: failed,
            scanProblems: try await runtime.store.problems(tenant: only),
            settings: Setting.all.compactMap { setting in
                let value = setting.value(in: runtime.configuration)
                return value == setting.value(in: Configuration()) ? nil : Report.SettingValue(variable: setting.variable, value: value)
            })
        if json {
            print(try Terminal.json(report))
        } else {
            printReport(report, listAll: only != nil)
        }
    }

    /// Redraws (or prints) the onboardings every `interval` seconds.
    func watch(_ runtime: SluiceRuntime, only: TenantID?) async throws {
        let interactive = isatty(STDOUT_FILENO) == 1
        while true {
            let report: (tenants: [OnboardingProgress], overall: OnboardingProgress?) = if let only {
                (try await runtime.store.onboardings(tenant: only, window: .seconds(60)), nil)
            } else {
                try await runtime.store.onboardingReport(window: .seconds(60))
            }
            let board = StatusBoard(
                depth: try await runtime.store.depth(),
                onboardings: report.tenants, wave: report.overall,
                now: runtime.clock.now())
            // On a terminal: home, clear, then the frame, so no stale line stays.
            let text = interactive
                ? "\u{1B}[H\u{1B}[2J" + board.frame().joined(separator: "\n") + "\n"
                : board.plainLines().joined(separator: "\n") + "\n"
            FileHandle.standardOutput.write(Data(text.utf8))
            if untilIdle && board.active.isEmpty && board.depth.pending == 0 { return }
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }

    func printReport(_ report: Report, listAll: Bool) {
        print("Store: \(report.store)")
        print("Sink: \(report.sink)")
        print("Settings: " + (report.settings.isEmpty ? "the defaults (`sluice help run` lists them)" : report.settings.map { "\($0.variable)=\($0.value)" }.joined(separator: " ")))
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
        if !report.scanProblems.isEmpty {
            print("")
            print("Found by the last scan (\(report.scanProblems.count)):")
            for problem in report.scanProblems.prefix(limit) { print("  \(Terminal.escaped(problem.description))") }
            if report.scanProblems.count > limit {
                print("  ... and \(report.scanProblems.count - limit) more (sluice status --tenant NAME lists all, --json too)")
            }
        }
        if !report.skippedByReason.isEmpty {
            print("\nSkipped, by reason:")
            for entry in report.skippedByReason.prefix(limit) { print("  \(entry.count.formatted()) × \(Terminal.escaped(entry.reason))") }
            if report.skippedByReason.count > limit { print("  ... and \(report.skippedByReason.count - limit) more reasons (--json lists all)") }
        }
        for (title, problems) in [("Skipped", report.skipped), ("Failed (dead letters)", report.failed)] where !problems.isEmpty {
            print("\n\(title):")
            for problem in problems.prefix(limit) { print("  \(problem.tenant)/\(Terminal.escaped(problem.docId)): \(Terminal.escaped(problem.reason))") }
            if problems.count > limit {
                print("  ... and \(problems.count - limit) more (sluice status --tenant NAME lists all, --json too)")
            }
        }
    }
}
