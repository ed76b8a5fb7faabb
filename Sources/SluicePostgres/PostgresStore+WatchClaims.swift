import PostgresNIO
import SluiceCore

/// One watching process per folder: a claim row per root, taken when free or
/// expired, renewed by its holder, given up at shutdown; expiry by the
/// database's clock.
extension PostgresStore: WatchClaims {
    public func claimWatch(of root: String, for duration: Duration) async throws -> WatchClaim {
        let owner = options.owner
        let testTime = clock?.now().milliseconds
        return try await reading("claiming the watch of \(root)") { connection in
            let now = "coalesce(\(testTime.map(String.init) ?? "NULL")::int8, (extract(epoch FROM clock_timestamp()) * 1000)::int8)"
            let rows = try await connection.query("""
                WITH now AS (SELECT \(unescaped: now) AS ms)
                INSERT INTO watch_claims AS c (root, owner, expires_ms)
                SELECT \(root), \(owner), ms + \(duration.milliseconds) FROM now
                ON CONFLICT (root) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
                WHERE c.owner = excluded.owner OR c.expires_ms < (SELECT ms FROM now)
                RETURNING owner
                """, logger: self.logger)
            if try await rows.firstRow() != nil { return .held }
            let holder = try await connection.query("SELECT owner FROM watch_claims WHERE root = \(root)", logger: self.logger)
            return .heldBy(try await holder.firstRow()?.decode(String.self) ?? "another process")
        }
    }

    public func releaseWatch(of root: String) async throws {
        try await reading("giving up the watch of \(root)") { connection in
            _ = try await connection.query("DELETE FROM watch_claims WHERE root = \(root) AND owner = \(self.options.owner)", logger: self.logger)
        }
    }
}
