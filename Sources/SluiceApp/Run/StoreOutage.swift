import Logging
import SluiceCore
import Synchronization

/// Whether the store answers, as this process's workers find it. A shared
/// store (PostgreSQL) can be down for a while: the workers then wait and try
/// again instead of stopping, and this says so in the log once when it
/// stops answering, every 30 s while it does not, and once when it is back.
/// Nothing is lost meanwhile: what was accepted is in the store, and a
/// batch in hand whose completion failed is leased again when its lease expires.
public final class StoreOutage: Sendable {
    private struct State {
        var since: Timestamp?
        var lastLogged: Timestamp?
        var failures = 0
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let clock: any SluiceClock
    static let reminder: Duration = .seconds(30)

    init(logger: Logger, clock: any SluiceClock) {
        self.logger = logger
        self.clock = clock
    }

    /// Whether the store is failing now.
    public var isDown: Bool { state.withLock { $0.since != nil } }

    /// The store failed with a passing error: logs as above and returns how
    /// long to wait before trying again (doubling from 250 ms to 5 s).
    func failed(_ error: SluiceError) -> Duration {
        let now = clock.now()
        return state.withLock { state in
            state.failures += 1
            if state.since == nil {
                state.since = now
                state.lastLogged = now
                logger.warning("the store does not answer: \(error.message); workers wait and retry, nothing accepted is lost")
            } else if let last = state.lastLogged, now - last >= StoreOutage.reminder, let since = state.since {
                state.lastLogged = now
                logger.warning("the store still does not answer after \(Int((now - since).seconds)) s: \(error.message); still retrying")
            }
            return min(.seconds(5), .milliseconds(250) * (1 << min(state.failures - 1, 5)))
        }
    }

    /// The store answered a call made at `asked`: logs the end of an
    /// outage, if there was one. An answer to a call made before the
    /// outage began (a worker's step that waited for work across its start)
    /// says nothing about the store now, and is not taken for its end.
    func answered(askedAt asked: Timestamp) {
        let now = clock.now()
        let ended: Timestamp? = state.withLock { state in
            guard let since = state.since else { return nil }
            guard since <= asked else { return nil }
            state = State()
            return since
        }
        if let ended {
            logger.notice("the store answers again after \(Int((now - ended).seconds)) s; workers resume")
        }
    }
}
