import Synchronization

/// Hands watch events from the reader thread to the intake, merging
/// everything that piled up while the intake was busy into one batch.
///
/// Under load this gives large batches (one transaction for thousands of
/// events); at idle a lone event is delivered at once.
public final class EventBuffer: Sendable {
    private struct State {
        var events: [WatchEvent] = []
        var waiter: CheckedContinuation<[WatchEvent]?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds events (called by the producer).
    public func append(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        let handOff = state.withLock { state -> (CheckedContinuation<[WatchEvent]?, Never>, [WatchEvent])? in
            // After `finish()` nothing more is taken: the next start's scan catches up.
            guard !state.finished else { return nil }
            guard let waiter = state.waiter else {
                state.events += events
                return nil
            }
            state.waiter = nil
            let all = state.events + events
            state.events = []
            return (waiter, all)
        }
        if let (waiter, all) = handOff { waiter.resume(returning: all) }
    }

    /// No more events will come.
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[WatchEvent]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.events.isEmpty ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }

    /// Everything buffered, waiting for at least one event; nil once finished
    /// and drained, or when the task is cancelled.
    public func next() async -> [WatchEvent]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[WatchEvent]?, Never>) in
                let ready = state.withLock { state -> [WatchEvent]?? in
                    if !state.events.isEmpty {
                        defer { state.events = [] }
                        return .some(state.events)
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<[WatchEvent]?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
