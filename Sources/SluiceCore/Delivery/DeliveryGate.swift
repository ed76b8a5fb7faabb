import Synchronization

/// The delivery controls of one destination (a sink, an embedder), shared by
/// every call Sluice sends it: a request rate cap, an adaptive concurrency
/// limit, a circuit breaker, and the pause a Retry-After asks for.
///
/// `send` waits for its turn (a rate token, a concurrency slot, the end of a
/// pause), runs the request, and feeds the outcome back: backpressure halves
/// the concurrency limit and counts toward opening the breaker; a rejected
/// request (other 4xx) says nothing about the destination. While the breaker
/// is open or a pause runs, `send` fails at once with `.circuitOpen`, and
/// `blockedUntil` tells workers not to lease work for this destination yet.
public final class DeliveryGate: Sendable {
    public struct Settings: Sendable {
        /// SLUICE_SINK_MAX_REQUESTS_PER_MINUTE; nil for no cap. The bucket holds one second's worth.
        public var maxRequestsPerMinute: Int?
        /// SLUICE_SINK_MAX_CONCURRENCY.
        public var maxConcurrency: Int
        public var breaker: CircuitBreaker

        public init(maxRequestsPerMinute: Int? = nil, maxConcurrency: Int = 16, breaker: CircuitBreaker = CircuitBreaker()) {
            self.maxRequestsPerMinute = maxRequestsPerMinute
            self.maxConcurrency = max(1, maxConcurrency)
            self.breaker = breaker
        }
    }

    /// Where a gate stands now.
    public struct Snapshot: Sendable, Equatable {
        public var concurrencyLimit: Int
        public var inFlight: Int
        public var breaker: CircuitBreaker.State
        /// When the breaker last left the closed state; nil while closed.
        public var openSince: Timestamp?
    }

    private struct State {
        var bucket: TokenBucket?
        var concurrency: AdaptiveConcurrency
        var breaker: CircuitBreaker
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var pausedUntil: Timestamp?
    }

    /// A change of the breaker worth a log line.
    public enum Event: Sendable, Equatable {
        /// The breaker opened (again, after a failed probe, when `reopened`): nothing is sent until `until`.
        case opened(until: Timestamp, reopened: Bool)
        /// The destination answers again: the breaker closed.
        case closed
        /// A request ended: `ok`, the HTTP status, `unavailable` (timeout or connection) or `cancelled`.
        case request(status: String)
    }

    /// What the destination is, a short stable name for metrics' labels and
    /// dashboards: `embedder`, `qdrant`, `webhook`, `sluice`.
    public let name: String
    /// How the destination is named in messages (never with a secret).
    public let destination: String
    private let clock: any SluiceClock
    private let state: Mutex<State>
    private let observer: (@Sendable (Event) -> Void)?

    public init(
        name: String, destination: String, settings: Settings, clock: any SluiceClock = SystemClock(),
        observer: (@Sendable (Event) -> Void)? = nil
    ) {
        self.name = name
        self.destination = destination
        self.clock = clock
        self.observer = observer
        let now = clock.now()
        state = Mutex(State(
            bucket: settings.maxRequestsPerMinute.map { TokenBucket(ratePerMinute: $0, burstSeconds: 1, now: now) },
            concurrency: AdaptiveConcurrency(maximum: settings.maxConcurrency, now: now),
            breaker: settings.breaker))
    }

    public var snapshot: Snapshot {
        state.withLock {
            Snapshot(
                concurrencyLimit: $0.concurrency.limit, inFlight: $0.inFlight, breaker: $0.breaker.state,
                openSince: $0.breaker.openSince)
        }
    }

    /// Until when nothing should be sent (open breaker, Retry-After); nil when it may be now.
    public func blockedUntil() -> Timestamp? {
        let now = clock.now()
        return state.withLock { state in
            let times = [state.breaker.blockedUntil(now: now), state.pausedUntil.flatMap { $0 > now ? $0 : nil }].compactMap { $0 }
            return times.max()
        }
    }

    /// Sends one request under the controls. `request` throws `DeliveryError`
    /// for failures it classified; any other error counts as the destination
    /// being unavailable.
    public func send<T: Sendable>(_ request: () async throws -> T) async throws -> T {
        if let until = blockedUntil() { throw closed(until) }
        await acquireSlot()
        var released = false
        defer { if !released { releaseSlot(latency: nil, failure: nil, saturated: false) } }
        try await waitForRateToken()
        let (allowed, saturated) = state.withLock { state in
            (state.breaker.allow(now: clock.now()), state.inFlight >= state.concurrency.limit)
        }
        guard allowed else { throw closed(blockedUntil() ?? clock.now()) }
        let started = ContinuousClock.now
        do {
            let value = try await request()
            released = true
            releaseSlot(latency: ContinuousClock.now - started, failure: nil, saturated: saturated)
            return value
        } catch {
            let failure = (error as? DeliveryError)
                ?? (error is CancellationError ? nil : DeliveryError(.unavailable, destination: destination, "\(destination) failed: \(error)"))
            released = true
            releaseSlot(latency: ContinuousClock.now - started, failure: failure, saturated: saturated, cancelled: failure == nil)
            throw failure ?? error
        }
    }

    private func closed(_ until: Timestamp) -> DeliveryError {
        let wait = until - clock.now()
        return DeliveryError(
            .circuitOpen, destination: destination,
            "\(destination) is not taking requests (it failed repeatedly or asked to wait); the work stays queued",
            retryAfter: wait > .zero ? wait : .zero)
    }

    private func acquireSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.inFlight < state.concurrency.limit && state.waiters.isEmpty {
                    state.inFlight += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Gives the slot back. `latency` is nil when no request was sent; a sent
    /// request with neither value nor `failure` was cancelled.
    private func releaseSlot(latency: Duration?, failure: DeliveryError?, saturated: Bool, cancelled: Bool = false) {
        let now = clock.now()
        let (woken, event) = state.withLock { state -> ([CheckedContinuation<Void, Never>], Event?) in
            let before = state.breaker.state
            state.inFlight -= 1
            if let latency {
                if cancelled {
                    state.breaker.recordAbandoned()
                } else if let failure, failure.isBackpressure {
                    state.breaker.recordFailure(now: now)
                    state.concurrency.record(latency: latency, backpressure: true, saturated: saturated, now: now)
                    if let pause = failure.retryAfter, pause > .zero {
                        state.pausedUntil = max(state.pausedUntil ?? now, now + pause)
                    }
                } else if failure != nil {
                    // A rejected request: the destination answered, so it is up.
                    state.breaker.recordSuccess()
                } else {
                    state.breaker.recordSuccess()
                    state.concurrency.record(latency: latency, backpressure: false, saturated: saturated, now: now)
                }
            }
            var woken: [CheckedContinuation<Void, Never>] = []
            while state.inFlight < state.concurrency.limit, !state.waiters.isEmpty {
                state.inFlight += 1
                woken.append(state.waiters.removeFirst())
            }
            return (woken, DeliveryGate.event(from: before, to: state.breaker.state))
        }
        if let observer {
            if latency != nil {
                let status = cancelled ? "cancelled" : failure.map { $0.status.map(String.init) ?? "unavailable" } ?? "ok"
                observer(.request(status: status))
            }
            if let event { observer(event) }
        }
        for continuation in woken { continuation.resume() }
    }

    private static func event(from before: CircuitBreaker.State, to after: CircuitBreaker.State) -> Event? {
        switch (before, after) {
        case (.closed, .open(let until)): .opened(until: until, reopened: false)
        case (.halfOpen, .open(let until)): .opened(until: until, reopened: true)
        case (.open, .closed), (.halfOpen, .closed): .closed
        default: nil
        }
    }

    private func waitForRateToken() async throws {
        while true {
            let now = clock.now()
            let wait = state.withLock { state -> Duration? in
                if let paused = state.pausedUntil, paused > now { return paused - now }
                return state.bucket?.take(now: now)
            }
            guard let wait else { return }
            try await clock.sleep(until: now + wait)
        }
    }
}
