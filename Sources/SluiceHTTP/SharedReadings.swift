import SluiceCore
import Synchronization

/// Readings whose cost grows with the store (a tenant's progress, the stats of
/// every tenant), shared by the callers that ask for the same scope: a caller
/// gets the scope's last reading while it is younger than `share` times what
/// it took to read, and callers that ask while a reading is under way wait
/// for it instead of starting their own. However many clients poll however
/// fast, the readings of one scope take at most a tenth of the time (with the
/// default share of 9), so a tenant polling its own progress cannot take the
/// store's readers, and the cores, from the other tenants' searches.
///
/// A reading is as fresh as its cost allows: one that took 2 ms is reused for
/// 18 ms at most, one that took 40 ms (a tenant of 100,000 documents) for
/// 360 ms; one under a millisecond of `clock` is not reused. A failed reading
/// is not kept, nor one the clock has gone back past.
final class SharedReadings<Value: Sendable>: Sendable {
    private struct Reading {
        let task: Task<Value, any Error>
        /// When the reading was taken and when it stops being served; nil while it is under way.
        var fresh: Range<Timestamp>?

        func isServed(at now: Timestamp) -> Bool { fresh.map { $0.contains(now) } ?? true }
    }

    private let readings = Mutex<[String: Reading]>([:])
    private let clock: any SluiceClock
    private let share: Int
    /// Scopes kept before the stale ones are dropped (one per tenant polled).
    private let pruneAt: Int

    init(clock: any SluiceClock, share: Int = 9, pruneAt: Int = 1024) {
        self.clock = clock
        self.share = share
        self.pruneAt = pruneAt
    }

    func value(_ scope: String, read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = readings.withLock { readings in
            let now = clock.now()
            if let reading = readings[scope], reading.isServed(at: now) { return reading.task }
            if readings.count >= pruneAt {
                readings = readings.filter { $0.value.isServed(at: now) }
            }
            let task = Task { try await self.read(scope, read) }
            readings[scope] = Reading(task: task, fresh: nil)
            return task
        }
        return try await task.value
    }

    /// Runs one reading; on the way out, dates it (or forgets it if it failed).
    /// It takes the lock only after `value` has recorded the task.
    private func read(_ scope: String, _ read: @Sendable () async throws -> Value) async throws -> Value {
        let start = clock.now()
        do {
            let value = try await read()
            let end = clock.now()
            readings.withLock { $0[scope]?.fresh = end..<max(end, end + (end - start) * share) }
            return value
        } catch {
            readings.withLock { $0[scope] = nil }
            throw error
        }
    }

    /// Scopes held (under way or not yet dropped), for tests.
    var count: Int { readings.withLock { $0.count } }
}
