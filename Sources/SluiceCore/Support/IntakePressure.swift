import Synchronization

/// How busy the HTTP intake is, so indexing can give way to it.
///
/// Accepting a document is cheap and durable; indexing it can wait a little.
/// The intake counts as busy while `busyAt` or more documents are being
/// accepted at once (many publishes, or one batch), and until it has stayed
/// below that for `calmPeriod`
/// (between two groups of a burst the count dips for a moment). Workers hold
/// back before each batch while it is busy, but never longer than the
/// deferral they ask for: a burst of publishes gets the CPU and the SQLite
/// writer first, indexing still advances (a batch per worker per deferral),
/// and the backlog is worked off at full speed once the burst ends.
public final class IntakePressure: Sendable {
    public let busyAt: Int
    public let calmPeriod: Duration
    private let clock: any SluiceClock
    private let state = Mutex<(inFlight: Int, lastBusy: Timestamp?)>((0, nil))

    public init(busyAt: Int = 8, calmPeriod: Duration = .milliseconds(100), clock: any SluiceClock = SystemClock()) {
        self.busyAt = max(1, busyAt)
        self.calmPeriod = calmPeriod
        self.clock = clock
    }

    /// Counts `documents` as being accepted while `body` runs.
    public func accepting<T>(documents: Int = 1, _ body: () async throws -> T) async rethrows -> T {
        let now = clock.now()
        let documents = max(0, documents)
        state.withLock { state in
            state.inFlight += documents
            if state.inFlight >= busyAt { state.lastBusy = now }
        }
        defer { state.withLock { $0.inFlight -= documents } }
        return try await body()
    }

    /// When the intake is calm: nil now, or the earliest time it may be.
    func calmAt(_ now: Timestamp) -> Timestamp? {
        state.withLock { state in
            if state.inFlight >= busyAt { return now + calmPeriod }
            guard let last = state.lastBusy, now < last + calmPeriod else { return nil }
            return last + calmPeriod
        }
    }

    /// Returns at once when the intake is calm; else when it calms down, or
    /// after `maxDeferral` at the latest.
    public func giveWay(maxDeferral: Duration) async {
        let deadline = clock.now() + maxDeferral
        while !Task.isCancelled {
            let now = clock.now()
            guard now < deadline, let calm = calmAt(now) else { return }
            try? await clock.sleep(until: min(calm, deadline))
        }
    }
}
