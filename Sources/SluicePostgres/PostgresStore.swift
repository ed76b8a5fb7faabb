import Foundation
import Logging
import PostgresNIO
import SluiceCore
import Synchronization

/// The scale-out backend: the queue and the document state in PostgreSQL,
/// shared by any number of Sluice processes on any number of hosts.
///
/// Times (ready, lease expiry, settle) come from the database's clock
/// (`now()` of each transaction), never from a process's own, so clock skew
/// between hosts cannot reorder or strand work; tests give a `SluiceClock`
/// to drive time instead. A document's queue row is the unit of single
/// flight: every write to it locks it (`FOR UPDATE`), leasing skips rows
/// another transaction holds (`SKIP LOCKED`), and revisions come from a
/// sequence. Vectors are not kept here: with PostgreSQL they go to a remote
/// sink.
public final class PostgresStore: Sendable {
    public struct Options: Sendable {
        public var settle: SettlePolicy
        public var retry: RetryPolicy
        /// Connections this process may hold open at once.
        public var maximumConnections: Int
        /// While the server is known to be unreachable, the longest a call
        /// waits for a connection before it fails (retryable).
        public var connectionWait: Duration = .seconds(5)
        /// Whether this store hears other processes' work (`LISTEN`, one
        /// connection held for it): on for a process that runs workers or
        /// waits for documents; off, other processes' work is found by polling.
        public var listens: Bool
        /// Who holds this store's leases, stable across restarts (the host and
        /// data directory): a restarted process releases the leases its
        /// predecessor left, and no other process's.
        public var owner: String

        public init(
            settle: SettlePolicy = SettlePolicy(), retry: RetryPolicy = RetryPolicy(), maximumConnections: Int = 10,
            listens: Bool = false, owner: String = UUID().uuidString
        ) {
            self.listens = listens
            self.settle = settle
            self.retry = retry
            self.maximumConnections = maximumConnections
            self.owner = owner
        }
    }

    public let location: PostgresLocation
    let client: PostgresClient
    private let running: Task<Void, Never>
    /// Set in tests only; nil: the database's clock.
    let clock: (any SluiceClock)?
    let options: Options
    let logger: Logger
    /// Rung after every commit of this process that queues work, with the time it becomes ready.
    public let readiness = Doorbell()
    public let completions = Doorbell()
    /// Per priority, the tenant this process's last lease stopped at: the next one starts after it.
    let leaseCursors = Mutex<[Priority: String]>([:])

    /// Connects to `location` (a clear `.configuration` error at once when
    /// nothing answers, the password is refused or the database is missing),
    /// then creates or migrates the schema, one process at a time.
    public static func open(
        _ location: PostgresLocation, clock: (any SluiceClock)? = nil, options: Options = Options(),
        logger: Logger = Logger(label: "sluice.postgres")
    ) async throws -> PostgresStore {
        try await PostgresStore.probe(location, logger: logger)
        let store = PostgresStore(location, clock: clock, options: options, logger: logger)
        await store.poolStarted()
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        if options.listens {
            store.listening.withLock { $0 = Task { await store.listen() } }
        }
        return store
    }

    private init(_ location: PostgresLocation, clock: (any SluiceClock)?, options: Options, logger: Logger) {
        self.location = location
        self.clock = clock
        self.options = options
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.maximumConnections = options.maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // Every connection of this store works in its schema.
        configuration.options.additionalStartupParameters = [("search_path", location.schema)]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let started = self.started
        running = Task {
            started.value.store(true, ordering: .releasing)
            await client.run()
        }
    }

    /// Set by the pool's task as it enters `PostgresClient.run()`; a lease
    /// before that works but logs a warning, so `open` waits for it.
    private let started = Flag()
    private final class Flag: Sendable { let value = Atomic(false) }

    private func poolStarted() async {
        while !started.value.load(ordering: .acquiring) { await Task.yield() }
        await Task.yield()
    }

    /// Hears other processes' work while the store is open (`Options.listens`).
    let listening = Mutex<Task<Void, Never>?>(nil)

    /// Stops the connection pool; the store is unusable afterwards.
    public func close() async {
        if let listening = listening.withLock({ $0 }) {
            listening.cancel()
            await listening.value
        }
        running.cancel()
        _ = await running.value
    }

    /// The time of a transaction: the database's (`now()`), or the test clock's.
    func now(_ connection: PostgresConnection) async throws -> Timestamp {
        if let clock { return clock.now() }
        let rows = try await connection.query("SELECT (extract(epoch FROM now()) * 1000)::int8", logger: logger)
        guard let milliseconds = try await rows.firstRow()?.decode(Int64.self) else {
            throw SluiceError(.storage, "PostgreSQL returned no time", isRetryable: true)
        }
        return Timestamp(milliseconds: milliseconds)
    }

    /// Runs `body` in one transaction; PostgreSQL's errors become `.storage`
    /// errors naming what was being done (retryable when the server or the
    /// connection failed, not the statement).
    func transaction<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await reading(doing) { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: self.logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    /// Runs `body` on a connection of the pool. While the server is known to
    /// be unreachable (a call failed to reach it and none has succeeded
    /// since), waits at most `Options.connectionWait` for a connection
    /// (`ConnectionHandoff`), so API requests get 503 at once instead of
    /// waiting on the pool; otherwise waits as long as the pool makes it.
    func reading<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let value: T
            if unreachable.withLock({ $0 }) {
                let wait = options.connectionWait
                let (connection, handoff) = try await ConnectionHandoff.connection(from: client, within: wait) { [location] in
                    var error = SluiceError(
                        .storage, "\(doing) failed: PostgreSQL at \(location.host):\(location.port) cannot be reached (no connection within \(wait))",
                        isRetryable: true)
                    error.retryAfter = .seconds(2)
                    return error
                }
                defer { handoff.release() }
                value = try await body(connection)
            } else {
                value = try await client.withConnection { connection in try await body(connection) }
            }
            unreachable.withLock { $0 = false }
            return value
        } catch let error as SluiceError {
            throw error
        } catch {
            throw storageError(doing, error)
        }
    }

    /// Set when a call could not reach the server, cleared by the next that did.
    let unreachable = Mutex(false)

    /// A PostgreSQL failure as a `.storage` error naming what was being done:
    /// the server's message when it answered, else that it cannot be reached
    /// (retryable, with a Retry-After for API clients).
    func storageError(_ doing: String, _ error: any Error) -> SluiceError {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState] ?? ""
            // Class 40 (serialization, deadlock), 53 (resources), 57 (shutdown) and 08 (connection) pass.
            let passing = ["40", "53", "57", "08"].contains(String(state.prefix(2)))
            return SluiceError(.storage, "\(doing) failed: PostgreSQL said \(message) (SQLSTATE \(state))", isRetryable: passing)
        }
        var reason = (error as? PSQLError).map { "\($0.code)" } ?? "\(error)"
        // ConnectionPoolError(base: …Base.connectionCreationCircuitBreakerTripped): the last name says it.
        if let last = reason.split(separator: ".").last, reason.count > 60 { reason = last.trimmingCharacters(in: CharacterSet(charactersIn: ")")) }
        self.unreachable.withLock { $0 = true }
        var unreachable = SluiceError(
            .storage, "\(doing) failed: PostgreSQL at \(location.host):\(location.port) cannot be reached (\(reason))", isRetryable: true)
        unreachable.retryAfter = .seconds(2)
        return unreachable
    }
}

extension PostgresRowSequence {
    /// The first row, the others read to the end: a sequence left part-read
    /// leaves its connection busy with the rest.
    func firstRow() async throws -> PostgresRow? { try await collect().first }
}
