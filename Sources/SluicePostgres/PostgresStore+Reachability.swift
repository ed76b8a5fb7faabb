import Foundation
import PostgresNIO
import SluiceCore
import Synchronization

/// Whether the server answers, as this process finds it. A call that could
/// not get a connection in time, or failed as if the server went away, has
/// the server checked with a connection of its own; when that fails too the
/// server is silent: every call fails at once (the API answers 503 with
/// Retry-After) instead of waiting on the pool, the pool is replaced (its
/// waiting calls fail, and the new one has no backoff to wait out), and a
/// connection is tried every second until one is made. Then calls go on, and
/// the workers and waiting requests of this process are woken.
final class Reachability: Sendable {
    struct State {
        /// Why the server does not answer, while it does not.
        var silence: String?
        var since: ContinuousClock.Instant?
        /// The check being made; callers meanwhile share it.
        var check: Task<String?, Never>?
        /// While silent: the task trying a connection every second.
        var watch: Task<Void, Never>?
        var closed = false
    }

    let state = Mutex(State())

    /// Why the server does not answer; nil while it does (as far as is known).
    var silence: String? { state.withLock { $0.silence } }

    /// Stops watching for the server's return (the store is closing).
    func stopWatching() async {
        let watch = state.withLock { state in
            state.closed = true
            return state.watch
        }
        watch?.cancel()
        await watch?.value
    }
}

extension PostgresStore {
    /// How often a silent server is tried again.
    static let reachabilityRetry: Duration = .seconds(1)

    /// Whether the server answers a connection of its own: nil when it does,
    /// else why not (and the server is then silent, as above). Callers at the
    /// same time share one check; while silent, the known reason at once.
    @discardableResult
    func checkServer() async -> String? {
        enum Next {
            case known(String)
            case join(Task<String?, Never>)
        }
        let next: Next = reachability.state.withLock { state in
            if let silence = state.silence { return .known(silence) }
            if let check = state.check { return .join(check) }
            let check = Task { await self.serverSilence() }
            state.check = check
            return .join(check)
        }
        guard case .join(let check) = next else {
            if case .known(let silence) = next { return silence }
            return nil
        }
        let silence = await check.value
        let began = reachability.state.withLock { state -> Bool in
            if state.check == check { state.check = nil }
            guard let silence, state.silence == nil, !state.closed else { return false }
            state.silence = silence
            state.since = .now
            state.watch = Task { await self.watchForReturn() }
            return true
        }
        if began, let silence {
            logger.warning(
                "PostgreSQL at \(location.host):\(location.port) does not answer (\(silence)): calls fail at once (the API answers 503 with Retry-After) until it does; trying again every second")
        }
        return silence
    }

    /// Why a connection of its own could not be made; nil when it was. A
    /// server that answered with an error other than shutting down or a
    /// connection failure (too many clients, say) does answer.
    private func serverSilence() async -> String? {
        do {
            try await Self.connectOnce(location, logger: logger)
            return nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] != nil {
            let state = error.serverInfo?[.sqlState] ?? ""
            guard state.hasPrefix("57") || state.hasPrefix("08") else { return nil }
            return "\(error.serverInfo?[.message] ?? "") (SQLSTATE \(state))"
        } catch {
            return Self.reason(error)
        }
    }

    /// While silent: replaces the pool, tries a connection every second, and
    /// once one is made lets calls through again and wakes this process's waiters.
    private func watchForReturn() async {
        await replacePool()
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.reachabilityRetry)
            if Task.isCancelled { return }
            guard let silence = await serverSilence() else { break }
            reachability.state.withLock { $0.silence = silence }
        }
        if Task.isCancelled { return }
        let since = reachability.state.withLock { state in
            defer {
                state.silence = nil
                state.since = nil
                state.watch = nil
            }
            return state.since
        }
        let seconds = since.map { ($0.duration(to: .now).components.seconds) } ?? 0
        logger.notice("PostgreSQL at \(location.host):\(location.port) answers again after \(seconds) s")
        readiness.ring()
        completions.ring()
    }
}
