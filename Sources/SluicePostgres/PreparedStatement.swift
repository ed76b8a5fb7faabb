import PostgresNIO
import SluiceCore
import Synchronization

/// A statement run for every batch, prepared once per connection and from
/// then on only bound and executed. Unnamed statements (`query`) are parsed
/// and planned at every execution: for the worker's statements that was over
/// half of PostgreSQL's time (parse and bind 6.6 s of 11.4 s in a pipeline
/// round of the store bench, read from the server's statement log).
///
/// Its SQL is fixed text with every parameter cast (`$1::text[]`), so the
/// server infers the types the bindings carry. Rows come back undecoded.
protocol PreparedStatement: PostgresPreparedStatement where Row == PostgresRow {}

extension PreparedStatement {
    /// A name of its own in this process (`sluice_1`, `sluice_2`, …), made
    /// once: postgres-nio asks for it at every execution, and PostgreSQL
    /// keeps only a name's first 63 bytes, too few for Swift's type names.
    static var name: String {
        statementNames.withLock { names in
            if let name = names[ObjectIdentifier(Self.self)] { return name }
            let name = "sluice_\(names.count + 1)"
            names[ObjectIdentifier(Self.self)] = name
            return name
        }
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A statement whose only parameters are the tenants and document ids of `keys` (`$1::text[]`, `$2::text[]`).
protocol KeysStatement: PreparedStatement {
    var keys: [DocumentKey] { get }
}

extension KeysStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(keys: keys)
        return bindings
    }
}

private let statementNames = Mutex<[ObjectIdentifier: String]>([:])

extension PostgresConnection {
    /// Runs `statement`, preparing it first on this connection if it is not yet.
    @discardableResult
    func run<Statement: PreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

extension PostgresBindings {
    /// The tenants and the document ids of `keys`: two parameters, `$n::text[]` and `$n+1::text[]`.
    mutating func append(keys: [DocumentKey]) {
        append(keys.map(\.tenant.rawValue))
        append(keys.map(\.docId.rawValue))
    }

    /// Content hashes as a `bytea[]` parameter (an empty value for none: postgres-nio's arrays hold no NULLs).
    mutating func append(hashes: [ContentHash?]) {
        append(hashes.map { ByteBuffer(bytes: $0?.bytes ?? []) })
    }
}
