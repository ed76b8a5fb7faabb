import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the WAL into the database file on a connection and a thread of its
/// own, so that the single writer does not.
///
/// With SQLite's automatic checkpoint the writer, right after the commit that
/// took the WAL past its threshold, copies every frame into the database file
/// and syncs it before it takes the next transaction: in a cold onboarding of
/// 100,000 files that was a fifth of the whole run's CPU, on the thread every
/// completion waits for. Here the writer's commit only notices the WAL's size
/// (SQLite's WAL hook) and wakes this checkpointer, which copies what was
/// committed (`PASSIVE`: it waits for no reader or writer) while the writer
/// goes on.
///
/// The WAL starts again from its beginning only at a write transaction that
/// finds it wholly copied. Copying while the writer commits may never find
/// that moment, so when the WAL reaches `limit` frames the writer's commit
/// waits for the checkpointer and copies the rest itself (little, the
/// checkpointer having copied the most), as SQLite's own checkpoint would
/// have: the WAL stays within `limit` frames and one transaction's.
final class WALCheckpointer: TransactionObserver, Sendable {
    /// WAL frames from which the checkpointer copies.
    let threshold: Int
    /// WAL frames from which the writer copies what is left itself.
    let limit: Int
    private let path: String
    private let queue = DispatchQueue(label: "sluice.checkpoint", qos: .utility)
    /// Whether a copy is under way, whether a commit asked for one since it began
    /// (a commit while it finishes must not go uncopied until the next one), and
    /// the connection it copies on (opened when first needed).
    private let state = Mutex<(running: Bool, asked: Bool, connection: DatabaseQueue?)>((false, false, nil))

    init(path: String, threshold: Int, limit: Int) {
        self.path = path
        self.threshold = threshold
        self.limit = limit
    }

    /// Turns SQLite's automatic checkpoint off on `db` (the writer) and
    /// checkpoints from the background instead. `db` keeps the checkpointer
    /// for as long as it is open (a transaction observer for the database's
    /// lifetime), so the hook never outlives what it points at.
    func install(on db: Database) throws {
        try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        db.add(transactionObserver: self, extent: .databaseLifetime)
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, _, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: Int(frames), on: connection)
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Returns once no copy is under way or asked for. Called on the writer,
    /// where no commit can ask for another meanwhile: a checkpoint that must
    /// copy everything (`TRUNCATE`) is then not refused for this one's lock.
    func waitUntilIdle() {
        queue.sync {}
    }

    /// Called on the writer after each commit, with the WAL's size in frames.
    private func committed(frames: Int, on connection: OpaquePointer?) {
        if frames >= limit {
            // Once the checkpointer is done (it holds the checkpoint lock while it copies), little is left.
            waitUntilIdle()
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        guard frames >= threshold else { return }
        let start = state.withLock { state in
            defer { (state.running, state.asked) = (true, true) }
            return !state.running
        }
        if start { queue.async { self.copy() } }
    }

    /// Copies while commits ask for it. Each time, until the WAL is wholly in the
    /// database file, a few rounds at most (each round copies what was committed
    /// during the one before).
    private func copy() {
        while state.withLock({ state in
            defer { (state.running, state.asked) = (state.asked, false) }
            return state.asked
        }) {
            guard let connection = self.connection() else { continue }
            for _ in 0..<4 {
                guard let (frames, copied) = try? connection.writeWithoutTransaction({ try $0.checkpoint(.passive) }),
                    copied < frames
                else { break }
            }
        }
    }

    private func connection() -> DatabaseQueue? {
        if let connection = state.withLock({ $0.connection }) { return connection }
        var configuration = Configuration()
        configuration.label = "sluice-checkpoint"
        configuration.busyMode = .immediateError
        guard let connection = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        state.withLock { $0.connection = connection }
        return connection
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) {}
    func databaseDidRollback(_ db: Database) {}
}
