import Foundation
import SluiceApp
import Synchronization

/// While watching: one line whenever something was processed or is pending.
final class WatchReporter: Sendable {
    private let enabled: Bool
    private let last = Mutex("")

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func show(_ activity: LiveSession.Activity) {
        guard enabled else { return }
        var totals = RunProgress.TenantCounts()
        for counts in activity.processed.tenants.values {
            totals.indexed += counts.indexed
            totals.unchanged += counts.unchanged
            totals.deleted += counts.deleted
            totals.skipped += counts.skipped
            totals.failed += counts.failed
        }
        let line = "since start: \(totals.indexed) indexed, \(totals.deleted) deleted, \(totals.skipped) skipped, \(totals.failed) failed; \(activity.queue.pending) pending"
        let changed = last.withLock { previous -> Bool in
            defer { previous = line }
            return previous != line
        }
        if changed { Terminal.note(line) }
    }
}
