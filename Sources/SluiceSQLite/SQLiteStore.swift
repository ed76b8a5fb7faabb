import Foundation
import GRDB
import SluiceCore
import Synchronization

/// The embedded backend: queue, file and document state, and the vector
/// index, in one SQLite file in WAL mode.
///
/// One `DatabasePool` per process (one writer, concurrent readers); other
/// processes (`sluice status`, `search`) open their own pool on the same file
/// and read without blocking the writer.
///
/// Durability: `synchronous=FULL` by default. In WAL mode NORMAL already
/// survives a killed process, but may lose the last commits on power loss;
/// FULL makes a commit durable when it returns, which is what "durable
/// before acknowledged" promises API clients. That holds for every commit
/// that takes in a change (a scan step, a publication, a watched event) or
/// records a failure. A commit that only records work done on changes the
/// store already holds (a lease, a renewal, a completion: `recordsProgress`)
/// does not wait for the disk: a power loss can roll back only the last of
/// them, each with its queue rows, which are then leased and done again (the
/// WAL is written in order, so the next synced commit syncs it too). Syncing
/// those was a third of the single writer's commit time on 100,000 files.
public final class SQLiteStore: Sendable {
    public struct Options: Sendable {
        public var settle: SettlePolicy
        public var retry: RetryPolicy
        public var durability: Durability
        public var readOnly: Bool

        /// The most memory the search's in-memory vectors hold (`SearchCache`), in bytes.
        public var searchMemory: Int

        /// 1 GiB of search memory holds about 2.5 million chunks of 384 dimensions.
        public static let defaultSearchMemory = 1 << 30

        public init(
            settle: SettlePolicy = SettlePolicy(), retry: RetryPolicy = RetryPolicy(), durability: Durability = .full, readOnly: Bool = false,
            searchMemory: Int = Options.defaultSearchMemory
        ) {
            self.settle = settle
            self.retry = retry
            self.durability = durability
            self.readOnly = readOnly
            self.searchMemory = searchMemory
        }
    }

    let pool: DatabasePool
    let clock: any SluiceClock
    let options: Options
    public let path: String
    /// Groups concurrent completions into one transaction.
    let completionCommit: GroupCommit<[PreparedCompletion], [CompletionOutcome]>
    /// Groups concurrent publications (HTTP requests) into one transaction.
    let publishCommit = GroupCommit<[Publication], [PublishOutcome]>()
    /// Rung after every commit that queues work, with the time it becomes ready.
    public let readiness = Doorbell()
    public let completions = Doorbell()
    /// The active API keys, checked on every HTTP request.
    let keyCache: KeyCache
    /// Per priority, the tenant the last lease stopped at: the next one starts after it.
    let leaseCursors = Mutex<[Priority: String]>([:])
    /// The tokens of the rows this store leases.
    let leaseTokens = LeaseTokens()
    /// The tenants' vectors in memory for searching.
    let searchCache: SearchCache
    /// One search of a tenant holds a reader at a time; its others wait without one (`KeyedGate`).
    let searchGate = KeyedGate(width: 1)
    /// Copies the WAL into the database file off the writer.
    let walCheckpointer: WALCheckpointer
    /// Which embedding-cache keys may exist, so that new chunks cost no lookup.
    let keyFilter = EmbeddingKeyFilter()

    /// Opens (creating and migrating if needed) the store at `path`.
    public init(path: String, clock: any SluiceClock = SystemClock(), options: Options = Options()) throws {
        self.path = path
        self.clock = clock
        self.options = options
        self.completionCommit = GroupCommit()
        self.keyCache = KeyCache(storePath: path, createsStamp: !options.readOnly)
        self.searchCache = SearchCache(budget: options.searchMemory)
        // From 2,500 frames (40 MiB) rather than SQLite's 1,000: each checkpoint syncs the
        // database file, and bulk onboarding commits often.
        let walCheckpointer = WALCheckpointer(path: path, threshold: 2_500, limit: 5_000)
        self.walCheckpointer = walCheckpointer
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "sluice"
        configuration.maximumReaderCount = 6
        configuration.prepareDatabase { db in
            // 16 KiB pages for a new file: 1.5 KB vectors pack ten to a page, and bulk
            // writes measured 30% faster than with 4 KiB pages. (No effect on an existing file.)
            try db.execute(sql: "PRAGMA page_size = 16384")
            // A large page cache for bulk writes; temporary tables in memory.
            try db.execute(sql: "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY")
        }
        do {
            // A new store is created 0600 here, not by SQLite with the process's umask;
            // SQLite gives the -wal and -shm files the database file's permissions.
            // O_EXCL: an existing file is never opened (and closed) here, since closing
            // any descriptor of a database file drops the POSIX locks that this
            // process's other connections to it hold.
            let created = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if created >= 0 { close(created) }
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(options.durability == .full ? "FULL" : "NORMAL")")
                try walCheckpointer.install(on: db)
            }
            try SQLiteStore.migrate(pool)
        } catch {
            throw SQLiteStore.wrap(error, "opening the store at \(path)", store: path)
        }
    }

    /// Applies migrations. Two processes opening a new store at once (`run` and
    /// `status`) can both see it unmigrated; the loser's migration fails, and a
    /// second look finds it applied.
    ///
    /// A store that is up to date is only read: `migrate` itself begins with a
    /// write (`CREATE TABLE IF NOT EXISTS grdb_migrations`), which waits for
    /// the write lock, and behind a busy `sluice run` that made `status`, and
    /// every other process that opens the store, wait up to the busy timeout.
    static func migrate(_ pool: DatabasePool) throws {
        if (try? pool.read({ db in try migrator.hasCompletedMigrations(db) })) == true { return }
        var attempt = 0
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                attempt += 1
                if attempt >= 5 { throw error }
                usleep(UInt32(20_000 * attempt))
            }
        }
    }

    /// Turns a GRDB error into a `SluiceError` that names what was being done.
    static func wrap(_ error: any Error, _ doing: String, store path: String? = nil) -> SluiceError {
        if let error = error as? SluiceError { return error }
        if let error = error as? DatabaseError {
            let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
            let full = error.resultCode == .SQLITE_FULL
            var hint = ""
            if full { hint = "; free disk space and run again" }
            if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
                hint = "; the store \(path.map { "file \($0)" } ?? "file") is damaged or is not a Sluice store: move it (with its -wal and -shm files) out of the data directory and run `sluice run` again to rebuild the index from the files (documents published over the API must be published again)"
            }
            return SluiceError(
                .storage, "SQLite error while \(doing): \(error.message ?? "\(error.resultCode)")\(hint)",
                isRetryable: busy || full, underlying: error)
        }
        return SluiceError(.storage, "error while \(doing): \(error)", isRetryable: false)
    }

    /// A write transaction. `recordsProgress`: it only records work done on
    /// changes the store holds, so its commit need not wait for the disk (see
    /// the type's comment about durability).
    func write<T: Sendable>(
        _ doing: String, recordsProgress: Bool = false, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws -> T {
        do {
            guard recordsProgress, options.durability == .full else { return try await pool.write(body) }
            return try await pool.writeWithoutTransaction { db in
                // Outside the transaction: SQLite refuses to change it inside one.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw SQLiteStore.wrap(error, doing, store: path)
        }
    }

    func read<T: Sendable>(_ doing: String, _ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw SQLiteStore.wrap(error, doing, store: path)
        }
    }
}
