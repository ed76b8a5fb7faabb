import SluiceCore
import Synchronization

/// A clock tests move by hand: `now()` stands still until `advance(by:)`,
/// and sleepers wake when time reaches their deadline.
public final class ManualClock: SluiceClock {
    private struct State {
        var now: Timestamp
        var sleepers: [(deadline: Timestamp, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    public init(start: Timestamp = Timestamp(milliseconds: 1_800_000_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Timestamp { state.withLock { $0.now } }

    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.now = state.now + duration
            let now = state.now
            let ready = state.sleepers.filter { $0.deadline <= now }.map(\.continuation)
            state.sleepers.removeAll { $0.deadline <= now }
            return ready
        }
        for continuation in woken { continuation.resume() }
    }

    public func sleep(until deadline: Timestamp) async throws {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if deadline <= state.now { return true }
                state.sleepers.append((deadline, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
        try Task.checkCancellation()
    }
}
