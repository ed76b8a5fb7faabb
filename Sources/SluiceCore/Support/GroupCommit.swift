import Synchronization

/// Group commit: requests that arrive while a write transaction is running
/// are applied together in the next one.
///
/// SQLite has one writer, and each commit writes every page it dirtied to the
/// WAL; index pages keyed by hashes are dirtied at random, so many small
/// commits rewrite the same pages over and over. Grouping the completions of
/// concurrent workers into one transaction writes each page once per group.
/// PostgreSQL pays per statement (a round trip, a parse, a plan) and per
/// commit (a WAL flush): a group of publications is a few statements for all
/// of them. There is no timer: an idle store commits a lone request at once.
///
/// The first submitter that finds no write in progress becomes the leader and
/// writes what is pending, its own request included. When done, it hands the
/// lead to the oldest waiting submitter instead of writing on, so under a
/// steady stream no caller waits longer than the group before its own.
///
/// A group takes requests, oldest first, up to `maxWeight` (a request that
/// alone weighs more goes alone): a client sending many large requests at
/// once cannot make one transaction so large that the database refuses it,
/// and with it the other tenants' requests grouped with them.
///
/// Its body is `@inlinable` so that each store compiles its own copy for its
/// request and response types: unspecialized, every ticket looked up its
/// generic metadata at run time (about 4% of a publish's CPU).
public final class GroupCommit<Request: Sendable, Response: Sendable>: Sendable {
    @usableFromInline
    enum Signal: Sendable {
        case done(Result<Response, any Error>)
        /// Write what is pending, then hand on.
        case lead
    }

    @usableFromInline
    final class Ticket: Sendable {
        @usableFromInline
        let state = Mutex<(signal: Signal?, waiter: CheckedContinuation<Signal, Never>?)>((nil, nil))

        @inlinable
        init() {}

        @inlinable
        func send(_ signal: Signal) {
            let waiter = state.withLock { state -> CheckedContinuation<Signal, Never>? in
                guard let waiter = state.waiter else {
                    state.signal = signal
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: signal)
        }

        @inlinable
        func wait() async -> Signal {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Signal? in
                    if let signal = state.signal {
                        state.signal = nil
                        return signal
                    }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    @usableFromInline
    struct State {
        @usableFromInline
        var pending: [(request: Request, ticket: Ticket)] = []
        @usableFromInline
        var writing = false

        @inlinable
        init() {}
    }

    @usableFromInline
    let state = Mutex(State())
    @usableFromInline
    let maxWeight: Int
    @usableFromInline
    let weight: @Sendable (Request) -> Int

    public init(maxWeight: Int = .max, weight: @escaping @Sendable (Request) -> Int = { _ in 1 }) {
        self.maxWeight = maxWeight
        self.weight = weight
    }

    /// Submits `request`. `write` applies requests in one transaction and
    /// returns one response per request, in order; every caller passes the same.
    @inlinable
    public func submit(_ request: Request, write: ([Request]) async throws -> [Response]) async throws -> Response {
        let ticket = Ticket()
        let leads = state.withLock { state -> Bool in
            state.pending.append((request, ticket))
            if state.writing { return false }
            state.writing = true
            return true
        }
        var signal: Signal = leads ? .lead : await ticket.wait()
        while case .lead = signal {
            await writePending(write)
            signal = await ticket.wait()
        }
        guard case .done(let result) = signal else { preconditionFailure("a ticket is led once per group") }
        return try result.get()
    }

    /// Writes what is pending as one group (up to `maxWeight`), then hands the
    /// lead to the oldest submitter still waiting, or ends the write if there is none.
    @inlinable
    func writePending(_ write: ([Request]) async throws -> [Response]) async {
        let batch = state.withLock { state -> [(request: Request, ticket: Ticket)] in
            var total = 0
            var count = 0
            for entry in state.pending {
                total += weight(entry.request)
                if count > 0 && total > maxWeight { break }
                count += 1
            }
            defer { state.pending.removeFirst(count) }
            return Array(state.pending.prefix(count))
        }
        do {
            let responses = try await write(batch.map(\.request))
            for (entry, response) in zip(batch, responses) { entry.ticket.send(.done(.success(response))) }
        } catch {
            for entry in batch { entry.ticket.send(.done(.failure(error))) }
        }
        let next = state.withLock { state -> Ticket? in
            guard let first = state.pending.first else {
                state.writing = false
                return nil
            }
            return first.ticket
        }
        next?.send(.lead)
    }
}
