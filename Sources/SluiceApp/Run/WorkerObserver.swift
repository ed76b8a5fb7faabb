import Logging
import SluiceCore

/// Where a worker reports what became of each document: run progress,
/// metrics, the health monitor's error rate and the log, in one place, so
/// every outcome reaches all four the same way.
struct WorkerObserver: Sendable {
    let progress: RunProgress
    let metrics: SluiceMetrics
    /// Counts every attempt's end, for the error rate.
    let health: HealthMonitor
    let logger: Logger
    let clock: any SluiceClock
    /// Whether the store answers; shared by the process's workers.
    let storeOutage: StoreOutage

    /// A completion the store applied (or found stale: a newer revision was already indexed).
    func completed(_ completion: Completion) {
        let outcome = Worker.outcome(of: completion.result)
        progress.record(outcome, for: completion.lease.key)
        metrics.processed(outcome: outcome.name)
        metrics.attempt(failed: false)
        health.recordAttempt(failed: false, at: clock.now())
        switch outcome {
        case .indexed, .deleted: metrics.changeToIndexed(clock.now() - completion.lease.enqueuedAt)
        case .unchanged, .skipped, .failed: break
        }
    }

    /// A failed attempt, as the queue recorded it.
    func failed(_ lease: Lease, _ failure: SluiceError, _ outcome: FailureOutcome) {
        switch outcome {
        case .deadLettered:
            health.recordAttempt(failed: true, at: clock.now())
            metrics.attempt(failed: true)
            logger.error("document failed for good", metadata: ["doc": "\(lease.key)", "reason": "\(failure.message)"])
            progress.record(.failed(reason: failure.message), for: lease.key)
            metrics.processed(outcome: "failed")
        case .willRetry(let time):
            health.recordAttempt(failed: true, at: clock.now())
            metrics.attempt(failed: true)
            logger.warning("document failed; will retry", metadata: ["doc": "\(lease.key)", "reason": "\(failure.message)", "retryAt": "\(time)"])
        case .superseded, .leaseLost:
            break
        }
    }

    /// A completion refused because its lease had expired; the document stays queued.
    func leaseLost(_ key: DocumentKey) {
        logger.warning("lease lost before completion; the document stays queued", metadata: ["doc": "\(key)"])
    }

    /// Leases the heartbeat found gone while their documents were being worked on.
    func leasesLost(_ count: Int) {
        logger.warning("\(count) leases were lost while working; those documents will be processed again")
    }

    /// Chunks embedded now, and reused from the cache, for one batch.
    func chunks(embedded: Int, reused: Int) {
        progress.recordChunks(embedded: embedded, reused: reused)
    }
}
