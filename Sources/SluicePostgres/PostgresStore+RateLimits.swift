import PostgresNIO
import SluiceCore

/// The API's rate limits in the database, so a key's budget holds across
/// every process serving the API: each request takes its tokens from its
/// bucket's row in one statement, which refills it by the time passed (the
/// database's clock) and takes them only if the bucket holds enough. A
/// statement whose time was read before another's took the row refills
/// nothing and leaves the row's time as it is (see `TokenBucket`).
extension PostgresStore: RateLimits {
    public func take(_ bucket: String, count: Int, ifHolding needed: Double, ratePerMinute: Int, burstSeconds: Double) async throws -> Duration? {
        let rate = Double(max(1, ratePerMinute))
        let capacity = max(1, rate / 60 * burstSeconds)
        let taken = Double(max(0, count))
        let testTime = clock?.now().milliseconds
        return try await reading("taking from a rate limit") { connection in
            let row = try await connection.query("""
                INSERT INTO rate_buckets AS b (bucket, tokens, updated_ms)
                VALUES (\(bucket), \(capacity - taken), coalesce(\(testTime)::int8, (extract(epoch FROM clock_timestamp()) * 1000)::int8))
                ON CONFLICT (bucket) DO UPDATE
                SET tokens = least(\(capacity), b.tokens + greatest(0, excluded.updated_ms - b.updated_ms) * \(rate) / 60000) - \(taken),
                    updated_ms = greatest(b.updated_ms, excluded.updated_ms)
                WHERE least(\(capacity), b.tokens + greatest(0, excluded.updated_ms - b.updated_ms) * \(rate) / 60000) >= \(needed)
                RETURNING tokens
                """, logger: self.logger).firstRow()
            if row != nil { return nil }
            let rows = try await connection.query("""
                SELECT least(\(capacity), tokens + greatest(0, coalesce(\(testTime)::int8, (extract(epoch FROM clock_timestamp()) * 1000)::int8) - updated_ms) * \(rate) / 60000)
                FROM rate_buckets WHERE bucket = \(bucket)
                """, logger: self.logger)
            let tokens = try await rows.firstRow()?.decode(Double.self) ?? 0
            return TokenBucket.wait(untilOneFrom: tokens, ratePerMinute: rate)
        }
    }
}
