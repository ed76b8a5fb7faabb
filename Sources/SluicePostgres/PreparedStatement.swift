import PostgresNIO

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
    static var name: String { "sluice." + String(describing: Self.self) }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresConnection {
    /// Runs `statement`, preparing it first on this connection if it is not yet.
    func run<Statement: PreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
