import PostgresNIO
import SluiceCore

/// The processes running workers on this schema, one row each (`owner`:
/// host and data directory), joined one at a time under an advisory lock so
/// two processes with different settings starting together cannot both join.
extension PostgresStore: ProcessGroup {
    public func join(fingerprint: String, liveWithin: Duration) async throws -> [GroupMember] {
        let owner = options.owner
        return try await transaction("joining the processes of \(location.schema)") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("sluice-group:" + self.location.schema)))", logger: self.logger)
            let now = try await self.now(connection).milliseconds
            let live = now - liveWithin.milliseconds
            let rows = try await connection.query("""
                SELECT owner, fingerprint, seen_ms FROM processes
                WHERE owner <> \(owner) AND seen_ms >= \(live) AND fingerprint <> \(fingerprint)
                ORDER BY seen_ms DESC
                """, logger: self.logger)
            var others: [GroupMember] = []
            for try await (other, theirs, seen) in rows.decode((String, String, Int64).self) {
                others.append(GroupMember(owner: other, fingerprint: theirs, seen: Timestamp(milliseconds: seen)))
            }
            guard others.isEmpty else { return others }
            // Rows of processes long gone go; this one's is written.
            try await connection.query("DELETE FROM processes WHERE seen_ms < \(now - 3_600_000)", logger: self.logger)
            try await self.saveMember(connection, fingerprint: fingerprint, at: now)
            return []
        }
    }

    public func heartbeat(fingerprint: String) async throws {
        try await transaction("saying this process is alive") { connection in
            try await self.saveMember(connection, fingerprint: fingerprint, at: try await self.now(connection).milliseconds)
        }
    }

    public func leave() async throws {
        try await reading("leaving the processes of \(location.schema)") { connection in
            _ = try await connection.query("DELETE FROM processes WHERE owner = \(self.options.owner)", logger: self.logger)
        }
    }

    private func saveMember(_ connection: PostgresConnection, fingerprint: String, at now: Int64) async throws {
        try await connection.query("""
            INSERT INTO processes (owner, fingerprint, seen_ms) VALUES (\(options.owner), \(fingerprint), \(now))
            ON CONFLICT (owner) DO UPDATE SET fingerprint = excluded.fingerprint, seen_ms = excluded.seen_ms
            """, logger: logger)
    }
}
