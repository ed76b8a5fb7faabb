import Synchronization

/// Calls `then` once `count` signals arrived (at once when `count` is 0).
final class ReadyGate: Sendable {
    private let remaining: Mutex<Int>
    private let then: @Sendable () -> Void

    init(count: Int, then: @escaping @Sendable () -> Void) {
        remaining = Mutex(count)
        self.then = then
    }

    func signal() {
        let fire = remaining.withLock { remaining -> Bool in
            remaining -= 1
            return remaining == 0
        }
        if fire { then() }
    }

    func signalIfEmpty() {
        if remaining.withLock({ $0 == 0 }) { then() }
    }
}

/// A value behind a lock, for the one mutable reference a session keeps.
final class LockedValue<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func get() -> Value { storage.withLock { $0 } }
    func set(_ value: Value) { storage.withLock { $0 = value } }
}
