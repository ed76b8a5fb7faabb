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
        /// How long a call waits for a pooled connection before the server is
        /// asked directly whether it answers (the call fails if not, and goes
        /// on waiting if so): postgres-nio's pool has no limit on the wait.
        public var connectionPatience: Duration = .seconds(1)
        /// How long after its connection closed a call still running is given
        /// up on (`ClosedConnectionWatch`): its statement was lost, or its task
        /// has not been scheduled since; either way it fails, retryable.
        public var closedConnectionGrace: Duration = .seconds(1)
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
    /// The pool calls take connections from; replaced when the server stops answering.
    private let pool: Mutex<PostgresPool>
    var client: PostgresClient { pool.withLock { $0.client } }
    let poolConfiguration: PostgresClient.Configuration
    /// Whether the server answers, as this process finds it.
    let reachability = Reachability()
    /// Set in tests only; nil: the database's clock.
    let clock: (any SluiceClock)?
    let options: Options
    let logger: Logger
    /// Calls whose connection closed under them, given up on.
    let closedConnections: ClosedConnectionWatch
    /// Rung after every commit of this process that queues work, with the time it becomes ready.
    public let readiness = Doorbell()
    public let completions = Doorbell()
    /// What this store has yet to tell other processes (`announce`).
    let announcements = Announcements()
    /// Publications of concurrent requests, applied together (`GroupCommit`),
    /// up to 64 MiB of content a transaction (its parameters travel in one
    /// message, and PostgreSQL refuses one of a gigabyte).
    let publishCommit = GroupCommit<[Publication], [PublishOutcome]>(maxWeight: 64 << 20) { publications in
        publications.reduce(0) { $0 + ($1.content?.count ?? 0) }
    }
    /// Per priority, the tenant this process's last lease stopped at: the next one starts after it.
    let leaseCursors = Mutex<[Priority: String]>([:])
    /// Tokens naming this store's owner, so a restarted process can find the
    /// leases its predecessor left without touching other processes'.
    let leaseTokens: LeaseTokens

    /// Connects to `location` (a clear `.configuration` error at once when
    /// nothing answers, the password is refused or the database is missing),
    /// then creates or migrates the schema, one process at a time.
    public static func open(
        _ location: PostgresLocation, clock: (any SluiceClock)? = nil, options: Options = Options(),
        logger: Logger = Logger(label: "sluice.postgres")
    ) async throws -> PostgresStore {
        try await PostgresStore.probe(location, logger: logger)
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.maximumConnections = options.maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // Every connection of this store works in its schema.
        configuration.options.additionalStartupParameters = [("search_path", location.schema)]
        let pool = await PostgresPool.start(configuration, logger: logger)
        let store = PostgresStore(location, pool: pool, configuration: configuration, clock: clock, options: options, logger: logger)
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

    private init(
        _ location: PostgresLocation, pool: PostgresPool, configuration: PostgresClient.Configuration, clock: (any SluiceClock)?,
        options: Options, logger: Logger
    ) {
        self.location = location
        self.pool = Mutex(pool)
        self.poolConfiguration = configuration
        self.clock = clock
        self.options = options
        self.leaseTokens = LeaseTokens(prefix: options.owner + "/")
        self.logger = logger
        self.closedConnections = ClosedConnectionWatch(grace: options.closedConnectionGrace)
    }

    /// Replaces the pool with a new one and stops the old one (its waiting
    /// calls fail at once); the new one connects when first asked.
    func replacePool() async {
        let fresh = await PostgresPool.start(poolConfiguration, logger: logger)
        let old = pool.withLock { pool in
            defer { pool = fresh }
            return pool
        }
        await old.stop()
    }

    /// Hears other processes' work while the store is open (`Options.listens`).
    let listening = Mutex<Task<Void, Never>?>(nil)

    /// Stops the connection pool; the store is unusable afterwards.
    public func close() async {
        if let listening = listening.withLock({ $0 }) {
            listening.cancel()
            await listening.value
        }
        await reachability.stopWatching()
        await pool.withLock { $0 }.stop()
    }

    /// The time of a transaction: the database's (`now()`), or the test clock's.
    func now(_ connection: PostgresConnection) async throws -> Timestamp {
        if let clock { return clock.now() }
        guard let milliseconds = try await connection.run(TransactionTime(), logger: logger).first?.decode(Int64.self) else {
            throw SluiceError(.storage, "PostgreSQL returned no time", isRetryable: true)
        }
        return Timestamp(milliseconds: milliseconds)
    }

    /// The transaction's time in milliseconds, in SQL: `now()` is the time
    /// the transaction began, the same in each of its statements, so a
    /// statement that needs it reads it itself instead of a round trip first.
    static let transactionTimeSQL = "(extract(epoch FROM now()) * 1000)::int8"

    private struct TransactionTime: PreparedStatement {
        static let sql = "SELECT \(PostgresStore.transactionTimeSQL)"
        func makeBindings() -> PostgresBindings { PostgresBindings() }
    }

    /// Runs `body` in one transaction; PostgreSQL's errors become `.storage`
    /// errors naming what was being done (retryable when the server or the
    /// connection failed, not the statement).
    func transaction<T: Sendable>(
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await reading(doing) { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: self.logger)
                return value
            } catch {
                // A connection the server ended has no transaction left to roll back.
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: self.logger) }
                throw error
            }
        }
    }

    /// Runs `body` on a connection of the pool. While the server is known not
    /// to answer, fails at once (retryable: the API answers 503 with
    /// Retry-After); when the pool has no connection for the call within
    /// `Options.connectionPatience`, asks the server directly whether it
    /// answers, and fails the call if it does not (`ConnectionHandoff`). A
    /// call whose connection closes under it fails, retryable, a second later
    /// at most (`ClosedConnectionWatch`).
    func reading<T: Sendable>(
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        if let silence = reachability.silence { throw unreachableError(doing, silence) }
        do {
            let (connection, handoff) = try await ConnectionHandoff.connection(from: client, patience: options.connectionPatience) {
                await self.checkServer().map { self.unreachableError(doing, $0) }
            }
            defer { handoff.release() }
            return try await closedConnections.run(on: connection) {
                Task { await self.checkServer() }
                return self.unreachableError(doing, "the connection closed under the call")
            } _: {
                try await body(connection)
            }
        } catch let error as SluiceError {
            throw error
        } catch {
            throw storageError(doing, error)
        }
    }

    /// A PostgreSQL failure as a `.storage` error naming what was being done:
    /// the server's message when it answered, else that it cannot be reached
    /// (retryable, with a Retry-After for API clients). A failure that may
    /// mean the server went away has it checked (`checkServer`).
    func storageError(_ doing: String, _ error: any Error) -> SluiceError {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState] ?? ""
            // Class 40 (serialization, deadlock), 53 (resources), 57 (shutdown) and 08 (connection) pass.
            let passing = ["40", "53", "57", "08"].contains(String(state.prefix(2)))
            if state.hasPrefix("57") || state.hasPrefix("08") { Task { await self.checkServer() } }
            return SluiceError(.storage, "\(doing) failed: PostgreSQL said \(message) (SQLSTATE \(state))", isRetryable: passing)
        }
        Task { await self.checkServer() }
        return unreachableError(doing, Self.reason(error))
    }

    /// That the server cannot be reached, for `doing`: retryable, with a Retry-After for API clients.
    func unreachableError(_ doing: String, _ reason: String) -> SluiceError {
        var error = SluiceError(
            .storage, "\(doing) failed: PostgreSQL at \(location.host):\(location.port) cannot be reached (\(reason))", isRetryable: true)
        error.retryAfter = .seconds(2)
        return error
    }

    /// A connection failure in a few words.
    static func reason(_ error: any Error) -> String {
        var reason = (error as? PSQLError).map { "\($0.code)" } ?? "\(error)"
        // ConnectionPoolError(base: …Base.connectionCreationCircuitBreakerTripped): the last name says it.
        if let last = reason.split(separator: ".").last, reason.count > 60 { reason = last.trimmingCharacters(in: CharacterSet(charactersIn: ")")) }
        return reason
    }
}

extension PostgresRowSequence {
    /// The first row, the others read to the end: a sequence left part-read
    /// leaves its connection busy with the rest.
    func firstRow() async throws -> PostgresRow? { try await collect().first }
}
