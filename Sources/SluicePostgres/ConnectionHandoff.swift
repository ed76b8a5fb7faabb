import PostgresNIO
import SluiceCore
import Synchronization

/// A pooled connection taken in a task of its own and handed to the caller,
/// so the caller can stop waiting for it. postgres-nio's pool has no limit on
/// how long a request waits for a connection: while the server is down, a
/// request waits until the pool gives up on connecting (15 s and more), and an
/// API client would wait with it instead of getting 503 at once. A caller
/// that waited `patience` asks whether to go on waiting (the server may only
/// be busy) or to stop with an error.
final class ConnectionHandoff: Sendable {
    private enum State {
        case waiting(CheckedContinuation<PostgresConnection, any Error>?)
        /// Handed over; the holder keeps the lease until `release`.
        case lent(PostgresConnection, CheckedContinuation<Void, Never>)
        case failed(any Error)
        case done
    }

    private let state = Mutex(State.waiting(nil))

    /// Takes a connection from `client` in a task of its own and returns it.
    /// Each time `patience` passes without one, calls `giveUp`: when that
    /// returns an error, throws it (the request is withdrawn).
    static func connection(
        from client: PostgresClient, patience: Duration, giveUp: @escaping @Sendable () async -> (any Error)?
    ) async throws -> (PostgresConnection, ConnectionHandoff) {
        let handoff = ConnectionHandoff()
        let holder = Task {
            do {
                try await client.withConnection { connection in await handoff.lend(connection) }
            } catch {
                handoff.fail(error)
            }
        }
        let timer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: patience)
                if Task.isCancelled { return }
                if let error = await giveUp() {
                    if handoff.fail(error) { holder.cancel() }
                    return
                }
            }
        }
        defer { timer.cancel() }
        let connection = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresConnection, any Error>) in
            handoff.state.withLock { state in
                switch state {
                case .failed(let error): continuation.resume(throwing: error)
                case .lent(let connection, _): continuation.resume(returning: connection)
                case .waiting, .done: state = .waiting(continuation)
                }
            }
        }
        return (connection, handoff)
    }

    /// The holder's side: hands the connection over and keeps it until `release`.
    private func lend(_ connection: PostgresConnection) async {
        await withCheckedContinuation { (release: CheckedContinuation<Void, Never>) in
            state.withLock { state in
                switch state {
                case .waiting(let waiter):
                    state = .lent(connection, release)
                    waiter?.resume(returning: connection)
                default:
                    // The caller stopped waiting: give the connection back at once.
                    release.resume()
                }
            }
        }
    }

    /// Fails the wait unless the connection was already handed over; whether it did.
    @discardableResult
    private func fail(_ error: any Error) -> Bool {
        state.withLock { state in
            switch state {
            case .waiting(let waiter):
                state = .failed(error)
                waiter?.resume(throwing: error)
                return true
            default:
                return false
            }
        }
    }

    /// Gives the connection back to the pool.
    func release() {
        state.withLock { state in
            if case .lent(_, let release) = state { release.resume() }
            state = .done
        }
    }
}
