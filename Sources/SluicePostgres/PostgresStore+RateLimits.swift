import PostgresNIO
import SluiceCore

/// The API's rate limits in the database, so a key's budget holds across
/// every process serving the API: each request takes a token from its
/// bucket's row in one statement, which refills it by the time passed (the
/// database's clock) and takes one only if one is there.
extension PostgresStore: RateLimits {
    public func take(_ bucket: String, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration? {
        let perMillisecond = Double(max(1, ratePerMinute)) / 60_000
        let capacity = max(1, Double(max(1, ratePerMinute)) / 60 * burstSeconds)
        let testTime = clock?.now().milliseconds
        return try await reading("taking from a rate limit") { connection in
            let taken = try await connection.query("""
                INSERT INTO rate_buckets AS b (bucket, tokens, updated_ms)
                VALUES (\(bucket), \(capacity - 1), coalesce(\(testTime)::int8, (extract(epoch FROM clock_timestamp()) * 1000)::int8))
                ON CONFLICT (bucket) DO UPDATE
                SET tokens = least(\(capacity), b.tokens + greatest(0, excluded.updated_ms - b.updated_ms) * \(perMillisecond)) - 1,
                    updated_ms = excluded.updated_ms
                WHERE least(\(capacity), b.tokens + greatest(0, excluded.updated_ms - b.updated_ms) * \(perMillisecond)) >= 1
                RETURNING tokens
                """, logger: self.logger).firstRow()
            if taken != nil { return nil }
            let rows = try await connection.query("""
                SELECT least(\(capacity), tokens + greatest(0, coalesce(\(testTime)::int8, (extract(epoch FROM clock_timestamp()) * 1000)::int8) - updated_ms) * \(perMillisecond))
                FROM rate_buckets WHERE bucket = \(bucket)
                """, logger: self.logger)
            let tokens = try await rows.firstRow()?.decode(Double.self) ?? 0
            return .milliseconds(max(1, Int64(((1 - tokens) / perMillisecond).rounded(.up))))
        }
    }
}
