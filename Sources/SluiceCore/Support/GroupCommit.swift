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
/// request and response types: unspecialized, every request's waiting looked
/// up its generic metadata at run time (about 4% of a publish's CPU). For the
/// same reason a waiter is a continuation kept in the queue, not an object:
/// a generic class's initializer and deinit are never specialized.
public final class GroupCommit<Request: Sendable, Response: Sendable>: Sendable {
    @usableFromInline
    enum Signal: Sendable {
        case done(Result<Response, any Error>)
        /// Write what is pending, then hand on.
        case lead
    }

    @usableFromInline
    struct Pending: Sendable {
        @usableFromInline
        let request: Request
        /// nil for the leader's own request: the leader takes its response
        /// from the write itself.
        @usableFromInline
        var waiter: CheckedContinuation<Signal, Never>?

        @inlinable
        init(_ request: Request, _ waiter: CheckedContinuation<Signal, Never>?) {
            self.request = request
            self.waiter = waiter
        }
    }

    @usableFromInline
    struct State {
        /// Oldest first. While no write is in progress it is empty.
        @usableFromInline
        var pending: [Pending] = []
        @usableFromInline
        var writing = false

        @inlinable
        init() {}

        /// Queues `request` as the leader's if no write is in progress; else,
        /// with a `waiter`, as one that it waits for (without, not at all).
        @inlinable
        mutating func enqueue(_ request: Request, waiter: CheckedContinuation<Signal, Never>?) -> Bool {
            if writing {
                if let waiter { pending.append(Pending(request, waiter)) }
                return false
            }
            writing = true
            pending.append(Pending(request, nil))
            return true
        }
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
        // A caller that finds no write in progress leads at once, without suspending.
        if !state.withLock({ $0.enqueue(request, waiter: nil) }) {
            // The waiter is queued under the lock inside the continuation, so a
            // write that ends meanwhile either sees it or leaves the lead to it.
            let signal = await withCheckedContinuation { (waiter: CheckedContinuation<Signal, Never>) in
                if state.withLock({ $0.enqueue(request, waiter: waiter) }) { waiter.resume(returning: .lead) }
            }
            if case .done(let result) = signal { return try result.get() }
        }
        return try await writeGroup(write).get()
    }

    /// Writes the group at the head of the queue, whose first request is the
    /// caller's own (the leader's), as one transaction; answers the others,
    /// hands the lead to the oldest submitter still waiting, or ends the write
    /// if there is none; returns the caller's own result.
    @inlinable
    func writeGroup(_ write: ([Request]) async throws -> [Response]) async -> Result<Response, any Error> {
        let batch = state.withLock { state -> [Pending] in
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
        let own: Result<Response, any Error>
        do {
            let responses = try await write(batch.map(\.request))
            guard responses.count == batch.count else {
                throw SluiceError(.internal, "a group's write answered \(responses.count) of \(batch.count) requests")
            }
            for (entry, response) in zip(batch, responses) { entry.waiter?.resume(returning: .done(.success(response))) }
            own = .success(responses[0])
        } catch {
            for entry in batch { entry.waiter?.resume(returning: .done(.failure(error))) }
            own = .failure(error)
        }
        let next = state.withLock { state -> CheckedContinuation<Signal, Never>? in
            guard !state.pending.isEmpty else {
                state.writing = false
                return nil
            }
            defer { state.pending[0].waiter = nil }
            return state.pending[0].waiter
        }
        next?.resume(returning: .lead)
        return own
    }
}
