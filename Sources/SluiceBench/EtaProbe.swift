import Foundation
import SluiceApp
import SluiceCore
import Synchronization

/// Watches an onboarding from outside the process doing it, as an operator
/// would: it reads the store's onboarding progress (the figures
/// `/v1/stats` and `sluice status --watch` show, taken together over the
/// wave) again and again, notes the ETA reported when 25%, 50% and 75% are
/// done, and compares each with the time the backlog actually took to empty.
///
/// A reading counts the documents and queue rows of every tenant in the
/// wave, so it costs more as the onboarding goes (30 to 60 ms late in
/// 100,000 files in 1,000 tenants, with the run beside it); the probe waits
/// nine times as long as its last reading took (100 ms at least), so its
/// readings take a tenth of the run's time at most. Polled every 100 ms,
/// they took 17.5 s of a 45 s onboarding of 100,000 files (275 readings,
/// each dearer than the one before), which then took 31 s with a probe
/// reading 65 times. A mark is what was read when it was passed (25.9%,
/// say), so a coarser reading moves the quarters' cuts, not their rates.
public final class EtaProbe: Sendable {
    /// One prediction and what happened.
    public struct Check: Sendable, Codable {
        /// The share done when the ETA was read (the first reading at or past the mark).
        public var percentDone: Double
        public var predictedSeconds: Double?
        public var actualSeconds: Double
        /// |predicted - actual| / actual, in percent; nil without a prediction.
        public var errorPercent: Double?
    }

    private let storePath: String
    private let stopped = Mutex(false)

    init(storePath: String) {
        self.storePath = storePath
    }

    func stop() { stopped.withLock { $0 = true } }

    /// Reads until `stop()`; returns the checks at 25%, 50% and 75%.
    func run() async -> [Check] {
        var store: (any SluiceStore)?
        var marks: [(percent: Double, at: ContinuousClock.Instant, eta: Double?)] = []
        var targets: [Double] = [25, 50, 75]
        var emptiedAt: ContinuousClock.Instant?
        var sawBacklog = false
        while !stopped.withLock({ $0 }) {
            if store == nil, FileManager.default.fileExists(atPath: storePath) {
                store = try? SluiceRuntime.openStore(path: storePath)
            }
            var pause = Duration.milliseconds(100)
            if let store {
                let started = ContinuousClock.now
                defer { pause = max(pause, (ContinuousClock.now - started) * 9) }
                do {
                    let overall = try await store.overallOnboarding(window: .seconds(60))
                    let now = ContinuousClock.now
                    if let overall {
                        sawBacklog = true
                        while let target = targets.first, overall.percent >= target {
                            marks.append((overall.percent, now, overall.etaSeconds))
                            targets.removeFirst()
                        }
                    } else if sawBacklog && emptiedAt == nil {
                        emptiedAt = now
                    }
                } catch {
                    // The store is busy being created or migrated by the child: read again shortly.
                }
            }
            try? await Task.sleep(for: pause)
        }
        let end = emptiedAt ?? ContinuousClock.now
        return marks.map { mark in
            let actual = (end - mark.at).seconds
            return Check(
                percentDone: (mark.percent * 10).rounded() / 10, predictedSeconds: mark.eta.map { ($0 * 100).rounded() / 100 },
                actualSeconds: (actual * 100).rounded() / 100,
                errorPercent: mark.eta.map { actual > 0 ? (abs($0 - actual) / actual * 1000).rounded() / 10 : 0 })
        }
    }
}
