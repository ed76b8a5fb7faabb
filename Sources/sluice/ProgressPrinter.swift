import Foundation
import SluiceApp
import Synchronization

/// Shows per-tenant progress (done/total, files per second, ETA) on stderr:
/// redrawn in place on a terminal, a plain line every few seconds otherwise.
final class ProgressPrinter: Sendable {
    private let enabled: Bool
    private let drawnLines = Mutex(0)
    static let maxTenantLines = 12

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func show(_ snapshot: RunProgress.Snapshot) {
        guard enabled else { return }
        let elapsed = max(snapshot.now.timeIntervalSince(snapshot.startedAt), 0.001)
        let tenants = snapshot.tenants.sorted { $0.key < $1.key }.filter { $0.value.total > 0 }
        guard !tenants.isEmpty else { return }
        var lines: [String] = []
        // Every tenant when they fit; otherwise those being worked now (begun,
        // not finished), then one line for all of them.
        let shown = tenants.count <= Self.maxTenantLines
            ? tenants : Array(tenants.filter { $0.value.done > 0 && $0.value.done < $0.value.total }.prefix(Self.maxTenantLines))
        for (tenant, counts) in shown {
            lines.append(line(tenant, counts, perSecond: counts.perSecond(at: snapshot.now)))
        }
        if tenants.count > shown.count {
            let total = tenants.reduce(RunProgress.TenantCounts()) { sum, entry in
                var sum = sum
                sum.total += entry.value.total
                sum.indexed += entry.value.done
                return sum
            }
            lines.append(line("all \(tenants.count) tenants", total, perSecond: Double(total.done) / elapsed))
        }
        var output = ""
        drawnLines.withLock { drawn in
            // Up to the frame's first line, clearing what was below (frames differ in length).
            if Terminal.isInteractive && drawn > 0 { output += "\u{1B}[\(drawn)A\u{1B}[J" }
            for line in lines { output += (Terminal.isInteractive ? "\u{1B}[2K" : "") + line + "\n" }
            drawn = Terminal.isInteractive ? lines.count : 0
        }
        FileHandle.standardError.write(Data(output.utf8))
    }

    private func line(_ tenant: String, _ counts: RunProgress.TenantCounts, perSecond: Double?) -> String {
        let done = counts.done
        let rate = perSecond ?? 0
        let remaining = max(counts.total - done, 0)
        let percent = counts.total > 0 ? Double(done) * 100 / Double(counts.total) : 100
        let eta = remaining == 0 ? "done" : (rate > 0 ? "ETA \(Terminal.duration(Double(remaining) / rate))" : "ETA ?")
        let bar = Self.bar(fraction: counts.total > 0 ? Double(done) / Double(counts.total) : 1, width: 20)
        let name = tenant.count > 18 ? String(tenant.prefix(17)) + "…" : tenant.padding(toLength: 18, withPad: " ", startingAt: 0)
        return "\(name) \(bar) \(String(format: "%5.1f%%", percent)) \(done)/\(counts.total)  \(String(format: "%.0f", rate)) files/s  \(eta)"
    }

    static func bar(fraction: Double, width: Int) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: min(filled, width)) + String(repeating: ".", count: max(width - filled, 0)) + "]"
    }
}
