/// A circuit breaker for one destination: closed, open, half-open.
///
/// Closed: requests go through; `failureThreshold` failures in a row open it.
/// Open: nothing is sent until `openFor` has passed (doubling on each failed
/// probe, up to `maximumOpen`); workers stop leasing work for the destination
/// meanwhile, so the work waits in the queue. Half-open: one probe at a time;
/// a success closes the breaker, a failure opens it again. Only failures of
/// the destination count (timeouts, refused connections, 5xx, 429), never a
/// rejected document (other 4xx). Pure: the caller passes the time in.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Timestamp)
        case halfOpen(probing: Bool)
    }

    public let failureThreshold: Int
    public let openFor: Duration
    public let maximumOpen: Duration
    public private(set) var state: State = .closed(failures: 0)
    /// When it last left the closed state; nil while closed. A failed probe
    /// does not move it, so it tells how long the destination has been down.
    public private(set) var openSince: Timestamp?
    private var nextOpen: Duration

    public init(failureThreshold: Int = 5, openFor: Duration = .seconds(2), maximumOpen: Duration = .seconds(60)) {
        self.failureThreshold = max(1, failureThreshold)
        self.openFor = openFor
        self.maximumOpen = max(openFor, maximumOpen)
        self.nextOpen = openFor
    }

    /// Whether a request may be sent now; in half-open state this takes the
    /// one probe slot, so call it only when about to send.
    public mutating func allow(now: Timestamp) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(probing: true)
            return true
        case .halfOpen(let probing):
            if probing { return false }
            state = .halfOpen(probing: true)
            return true
        }
    }

    /// When requests may be sent again; nil when they may now (a probe slot
    /// may still be taken).
    public func blockedUntil(now: Timestamp) -> Timestamp? {
        if case .open(let until) = state, now < until { return until }
        return nil
    }

    public mutating func recordSuccess() {
        state = .closed(failures: 0)
        openSince = nil
        nextOpen = openFor
    }

    public mutating func recordFailure(now: Timestamp) {
        switch state {
        case .closed(let failures):
            if failures + 1 >= failureThreshold { open(now) } else { state = .closed(failures: failures + 1) }
        case .halfOpen, .open:
            open(now)
        }
    }

    /// A request that ended without a verdict on the destination (cancelled).
    public mutating func recordAbandoned() {
        if case .halfOpen = state { state = .halfOpen(probing: false) }
    }

    private mutating func open(_ now: Timestamp) {
        if openSince == nil { openSince = now }
        state = .open(until: now + nextOpen)
        nextOpen = min(maximumOpen, nextOpen * 2)
    }
}
