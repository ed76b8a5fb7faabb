import Foundation
import GRDB
import GRDBSQLite

/// Binds, steps and reads one of GRDB's cached statements through SQLite's C API.
///
/// In the writer's loop over a completion's chunks (four statements a
/// chunk, a hundred thousand chunks in a cold onboarding) GRDB's arguments,
/// an array of boxed values converted again for each bind, cost about as
/// much as SQLite's own work, and the single writer is what a cold
/// onboarding waits for. The same holds for the queue rows every publish,
/// lease and completion reads and writes (23 columns each): GRDB's rows
/// copy every value and find each column by name. Errors are GRDB's
/// `DatabaseError`, as if GRDB had stepped the statement.
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

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ index: Int32, _ value: Int) throws {
        try check(sqlite3_bind_int64(handle, index, Int64(value)))
    }

    /// NULL for nil.
    func bind(_ index: Int32, _ value: Int64?) throws {
        guard let value else { return }
        try bind(index, value)
    }

    /// NULL for nil. Lengths go as 64 bits: SQLite itself refuses a value past
    /// its limit (SQLITE_TOOBIG), with an error, never a silent NULL.
    func bind(_ index: Int32, _ value: String?) throws {
        guard var value else { return }
        try value.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                // An empty string is bound as one, not as NULL.
                return try check(sqlite3_bind_text64(handle, index, "", 0, Self.transient, UInt8(SQLITE_UTF8)))
            }
            try base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                try check(sqlite3_bind_text64(handle, index, $0, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8)))
            }
        }
    }

    /// NULL for nil.
    func bind(_ index: Int32, _ value: Data?) throws {
        try bind(index, blob: value)
    }

    /// A blob of `bytes` (an empty one too, not as NULL), NULL for nil; an
    /// array's bytes are bound as they are, without a copy into a `Data`.
    func bind(_ index: Int32, blob bytes: (some ContiguousBytes)?) throws {
        guard let bytes else { return }
        try bytes.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return try check(sqlite3_bind_zeroblob(handle, index, 0)) }
            try check(sqlite3_bind_blob64(handle, index, base, UInt64(bytes.count), Self.transient))
        }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw error(code) }
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

    /// The columns of the row a statement stands on, read by position: valid
    /// only inside the closure `rows` or `first` passes it to.
    struct Columns {
        fileprivate let handle: OpaquePointer

        func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

        func int(_ index: Int32) -> Int { Int(sqlite3_column_int64(handle, index)) }

        /// nil for NULL.
        func optionalInt64(_ index: Int32) -> Int64? {
            sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, index)
        }

        /// nil for NULL; the text's bytes as stored (a NUL in them included).
        func string(_ index: Int32) -> String? {
            guard let text = sqlite3_column_text(handle, index) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, index))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }

        /// nil for NULL.
        func data(_ index: Int32) -> Data? {
            guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return Data() }
            return Data(bytes: bytes, count: count)
        }

        /// A blob's bytes without a copy (none for NULL), valid only inside `body`.
        func withBytes<T>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
            let bytes = sqlite3_column_blob(handle, index)
            return try body(UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : Int(sqlite3_column_bytes(handle, index))))
        }
    }

    /// Every row, each read by `read`.
    func rows<T>(_ read: (Columns) throws -> T) throws -> [T] {
        defer { sqlite3_reset(handle) }
        var values: [T] = []
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_ROW: values.append(try read(Columns(handle: handle)))
            case SQLITE_DONE: return values
            default: throw error(code)
            }
        }
    }

    /// The first row read by `read`; nil when there is none.
    func first<T>(_ read: (Columns) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return try read(Columns(handle: handle))
        case SQLITE_DONE: return nil
        default: throw error(code)
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
