import Synchronization

/// A counting semaphore over bytes held in memory at once
/// (SLUICE_MAX_INFLIGHT_BYTES), so many large files cannot exhaust memory.
///
/// A request larger than the whole budget is granted when nothing else is
/// held, so one big file still gets through, alone. Only `acquire` can wait;
/// every HTTP request takes and returns bytes, so the rest is a plain lock.
public final class ByteBudget: Sendable {
    private struct State {
        var inUse = 0
        var waiters: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []

        func fits(_ bytes: Int, capacity: Int) -> Bool {
            inUse == 0 || inUse + bytes <= capacity
        }
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits until `bytes` fit in the budget, then holds them.
    public func acquire(_ bytes: Int) async {
        let bytes = max(0, bytes)
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                guard state.waiters.isEmpty && state.fits(bytes, capacity: capacity) else {
                    state.waiters.append((bytes, continuation))
                    return false
                }
                state.inUse += bytes
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Holds `bytes` if they fit now without waiting; returns whether it did.
    public func tryAcquire(_ bytes: Int) -> Bool {
        let bytes = max(0, bytes)
        return state.withLock { state in
            guard state.waiters.isEmpty && state.fits(bytes, capacity: capacity) else { return false }
            state.inUse += bytes
            return true
        }
    }

    public func release(_ bytes: Int) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inUse -= max(0, bytes)
            var woken: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiters.first, state.fits(first.bytes, capacity: capacity) {
                state.waiters.removeFirst()
                state.inUse += first.bytes
                woken.append(first.continuation)
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    public var bytesInUse: Int { state.withLock { $0.inUse } }
}
