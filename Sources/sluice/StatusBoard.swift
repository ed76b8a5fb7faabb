import Foundation
import SluiceCore

/// What `sluice status --watch` shows: the queue, then a progress bar per
/// tenant being onboarded (total, processed, failed, percent, files per
/// minute, ETA), busiest first. On a terminal the frame is redrawn in place;
/// otherwise each refresh prints plain, timestamped lines (the same lines,
/// without redrawing), so it can be piped and logged.
struct StatusBoard {
    var depth: QueueDepth
    var onboardings: [OnboardingProgress]
    /// The wave taken together (`ReportingStore.onboardingReport`).
    var wave: OnboardingProgress?
    var now: Timestamp
    /// Most tenant lines in one frame; the rest are summed up in one line.
    var maxTenantLines = 20

    /// The onboardings in progress, the most pending first.
    var active: [OnboardingProgress] {
        onboardings.filter(\.active).sorted { ($1.pending, $0.tenant) < ($0.pending, $1.tenant) }
    }

    /// The whole wave, when it is more than the one tenant shown.
    var overall: OnboardingProgress? {
        guard var overall = wave else { return nil }
        let active = self.active
        guard active.count > 1 || overall.total > (active.first?.total ?? 0) else { return nil }
        overall.tenant = "all tenants"
        return overall
    }

    func queueLine() -> String {
        let ready = depth.ready.values.reduce(0, +)
        return "queue: \(Terminal.grouped(depth.pending)) pending (\(Terminal.grouped(ready)) ready, \(Terminal.grouped(depth.delayed)) waiting, \(Terminal.grouped(depth.leased)) in progress), \(Terminal.grouped(depth.dead)) dead letters"
    }

    /// A redrawn frame for a terminal.
    func frame() -> [String] {
        var lines = ["Sluice status at \(now.iso8601) (Ctrl-C to stop)", queueLine(), ""]
        let active = self.active
        if active.isEmpty {
            lines.append("No tenant is being onboarded: every backlog is empty.")
        }
        if let overall { lines.append(line(overall)) }
        lines += tenantLines(active)
        let finished = onboardings.filter { !$0.active }.sorted { $0.startedAt > $1.startedAt }
        if !finished.isEmpty {
            lines.append("")
            lines.append("\(finished.count) tenants up to date; latest onboarding: \(finished[0].tenant), \(Terminal.grouped(finished[0].total)) documents since \(finished[0].startedAt.iso8601)")
        }
        return lines
    }

    /// Plain lines for a pipe or a log: the queue, the wave, and the tenants
    /// onboarding (the busiest `maxTenantLines`, then one line for the rest).
    func plainLines() -> [String] {
        let stamp = now.iso8601
        return ([queueLine()] + [overall].compactMap { $0 }.map(line) + tenantLines(active)).map { "\(stamp) \($0)" }
    }

    /// A line per tenant, busiest first, at most `maxTenantLines`, then one summing up the rest.
    func tenantLines(_ active: [OnboardingProgress]) -> [String] {
        var lines = active.prefix(maxTenantLines).map(line)
        if active.count > maxTenantLines {
            let rest = active.dropFirst(maxTenantLines)
            lines.append("... and \(rest.count) more tenants onboarding, \(Terminal.grouped(rest.reduce(0) { $0 + $1.pending })) documents pending")
        }
        return lines
    }

    func line(_ progress: OnboardingProgress) -> String {
        let done = progress.processed + progress.failed
        let eta = progress.etaSeconds.map { $0 == 0 ? "done" : "ETA \(Terminal.duration($0))" } ?? "ETA ?"
        let name = progress.tenant.count > 18
            ? String(progress.tenant.prefix(17)) + "…" : progress.tenant.padding(toLength: 18, withPad: " ", startingAt: 0)
        return "\(name) \(ProgressPrinter.bar(fraction: progress.percent / 100, width: 24)) \(String(format: "%5.1f%%", progress.percent)) \(Terminal.grouped(done))/\(Terminal.grouped(progress.total))"
            + (progress.failed > 0 ? " (\(Terminal.grouped(progress.failed)) failed)" : "")
            + "  \(Terminal.grouped(Int(progress.filesPerMinute.rounded()))) files/min  \(eta)"
    }
}
