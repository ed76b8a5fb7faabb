import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps one of GRDB's cached statements through SQLite's C API.
///
/// In the writer's loop over a completion's chunks (four statements a
/// chunk, a hundred thousand chunks in a cold onboarding) GRDB's arguments,
/// an array of boxed values converted again for each bind, cost about as
/// much as SQLite's own work, and the single writer is what a cold
/// onboarding waits for. Errors are GRDB's `DatabaseError`, as if GRDB had
/// stepped the statement.
struct RowStepper {
    private let handle: OpaquePointer
    private let db: Database
    /// For its SQL in an error only: GRDB computes `sql` (a copy, trimmed) on each read.
    private let statement: Statement

    /// `statement` reset, with no value bound.
    init(_ statement: Statement, in db: Database) {
        handle = statement.sqliteStatement
        self.db = db
        self.statement = statement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// SQLite copies what it is given (the pointers only live for the call).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    /// NULL for nil.
    func bind(_ index: Int32, _ value: String?) {
        guard var value else { return }
        value.withUTF8 { bytes in
            if let base = bytes.baseAddress {
                _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(bytes.count), Self.transient)
                }
            } else {
                // An empty string is bound as one, not as NULL.
                _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
        }
    }

    /// NULL for nil.
    func bind(_ index: Int32, _ value: Data?) {
        guard let value else { return }
        value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                _ = sqlite3_bind_blob(handle, index, base, Int32(bytes.count), Self.transient)
            } else {
                // An empty blob is bound as one, not as NULL.
                _ = sqlite3_bind_zeroblob(handle, index, 0)
            }
        }
    }

    /// Runs a statement that returns no row.
    func execute() throws {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw error(code) }
    }

    /// The first column of the first row as an integer; nil when there is no row or it is NULL.
    func int64() throws -> Int64? {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return sqlite3_column_type(handle, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 0)
        case SQLITE_DONE: return nil
        default: throw error(code)
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
