import NIOCore
import PostgresNIO
import Synchronization

/// Gives up on calls whose connection closed under them.
///
/// postgres-nio writes a statement to its connection's channel without
/// asking whether the write went out: once the channel has closed and its
/// handlers are gone (the server restarted, or ended the session), the
/// statement goes nowhere and its caller waits for an answer forever. It
/// happened in a restart: a worker's lease waited, and nothing was indexed
/// after the server came back. So a call runs in a task of its own, and its
/// caller stops waiting `grace` after the connection closed, with the error
/// `closed` makes. Statements in flight when the connection closes fail at
/// once; only a call stuck this way is given up on, its task left suspended
/// (it holds nothing but the closed connection).
///
/// Each connection's close is watched once, however many calls it serves
/// (a callback a call would pile up on a long-lived connection).
final class ClosedConnectionWatch: Sendable {
    private struct Calls {
        var next = 0
        var abandon: [Int: @Sendable () -> Void] = [:]
    }

    private let connections = Mutex<[ObjectIdentifier: Calls]>([:])
    let grace: TimeAmount

    init(grace: Duration) {
        self.grace = TimeAmount(grace)
    }

    /// Runs `body`, which works on `connection`, and returns what it returns,
    /// unless `connection` closes and `body` has not ended `grace` later: then
    /// throws what `closed` makes.
    func run<T: Sendable>(
        on connection: PostgresConnection, closed: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let call = Call<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                call.begin(continuation)
                let token = watch(connection) {
                    call.end(.failure(closed()))
                    call.cancel()
                }
                call.start(Task {
                    let result: Result<T, any Error>
                    do {
                        result = .success(try await body())
                    } catch {
                        result = .failure(error)
                    }
                    self.forget(connection, token)
                    call.end(result)
                })
            }
        } onCancel: {
            call.cancel()
        }
    }

    /// Notes a call on `connection`, watching its close if no call did yet; the call's token.
    private func watch(_ connection: PostgresConnection, abandon: @escaping @Sendable () -> Void) -> Int {
        let id = ObjectIdentifier(connection)
        let (token, first) = connections.withLock { connections -> (Int, Bool) in
            let first = connections[id] == nil
            var calls = connections[id] ?? Calls()
            calls.next += 1
            calls.abandon[calls.next] = abandon
            connections[id] = calls
            return (calls.next, first)
        }
        if first {
            let eventLoop = connection.eventLoop
            let grace = self.grace
            connection.closeFuture.whenComplete { _ in
                eventLoop.scheduleTask(in: grace) { self.closed(id) }
            }
        }
        return token
    }

    private func forget(_ connection: PostgresConnection, _ token: Int) {
        connections.withLock { connections in
            _ = connections[ObjectIdentifier(connection)]?.abandon.removeValue(forKey: token)
        }
    }

    /// The connection closed `grace` ago: the calls still on it are given up on.
    private func closed(_ id: ObjectIdentifier) {
        let calls = connections.withLock { $0.removeValue(forKey: id) }
        calls?.abandon.values.forEach { $0() }
    }

    /// Connections watched now (tests).
    var watched: Int { connections.withLock { $0.count } }
}

/// One call's caller and task: the caller is resumed once, by the task's
/// result or by giving up; cancelling the caller cancels the task.
private final class Call<T: Sendable>: Sendable {
    private struct State {
        var caller: CheckedContinuation<T, any Error>?
        var task: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func begin(_ caller: CheckedContinuation<T, any Error>) {
        state.withLock { $0.caller = caller }
    }

    func start(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func end(_ result: Result<T, any Error>) {
        let caller = state.withLock { state in
            defer { state.caller = nil }
            return state.caller
        }
        caller?.resume(with: result)
    }

    func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}
