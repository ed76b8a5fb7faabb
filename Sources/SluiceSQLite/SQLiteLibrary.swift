import CSluiceSQLite
import GRDBSQLite

/// SQLite's process-wide settings (`CSluiceSQLite`), applied as the program
/// is loaded.
public enum SQLiteLibrary {
    /// Whether SQLite counts the memory it allocates. Debian's build does by
    /// default, taking a process-wide mutex on every allocation and free; the
    /// program's loading turns that off. In batches of 500 publications that
    /// mutex was 6% of the single writer's samples.
    public static var keepsMemoryStatistics: Bool {
        sluice_sqlite_memory_statistics_answer() != SQLITE_OK
    }
}
