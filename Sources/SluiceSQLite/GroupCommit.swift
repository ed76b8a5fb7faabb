import Synchronization

/// Group commit: requests that arrive while a write transaction is running
/// are applied together in the next one.
///
/// SQLite has one writer, and each commit writes every page it dirtied to the
/// WAL; index pages keyed by hashes are dirtied at random, so many small
/// commits rewrite the same pages over and over. Grouping the completions of
/// concurrent workers into one transaction writes each page once per group.
/// There is no timer: an idle store commits a lone request at once.
///
/// The first submitter that finds no write in progress becomes the leader and
/// drains the queue; the others wait for their own response.
final class GroupCommit<Request: Sendable, Response: Sendable>: Sendable {
    private final class Ticket: Sendable {
        private let state = Mutex<(result: Result<Response, any Error>?, waiter: CheckedContinuation<Response, any Error>?)>((nil, nil))

        func resolve(_ result: Result<Response, any Error>) {
            let waiter = state.withLock { state -> CheckedContinuation<Response, any Error>? in
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result)
        }

        func wait() async throws -> Response {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<Response, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    private struct State {
        var pending: [(request: Request, ticket: Ticket)] = []
        var writing = false
    }

    private let state = Mutex(State())

    init() {}

    /// Submits `request`. `write` applies requests in one transaction and
    /// returns one response per request, in order; every caller passes the same.
    func submit(_ request: Request, write: ([Request]) async throws -> [Response]) async throws -> Response {
        let ticket = Ticket()
        let leads = state.withLock { state -> Bool in
            state.pending.append((request, ticket))
            if state.writing { return false }
            state.writing = true
            return true
        }
        if leads { await drain(write) }
        return try await ticket.wait()
    }

    private func drain(_ write: ([Request]) async throws -> [Response]) async {
        while true {
            let batch = state.withLock { state -> [(request: Request, ticket: Ticket)] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let responses = try await write(batch.map(\.request))
                for (entry, response) in zip(batch, responses) { entry.ticket.resolve(.success(response)) }
            } catch {
                for entry in batch { entry.ticket.resolve(.failure(error)) }
            }
        }
    }
}
