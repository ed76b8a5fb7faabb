import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// A wrong URL, a refused password, a missing database or nothing listening:
/// each a one-line `.configuration` error saying what to do, at once.
@Suite struct PostgresConnectionTests {
    func openingError(_ location: PostgresLocation) async -> SluiceError? {
        do {
            _ = try await PostgresStore.open(location)
            return nil
        } catch {
            return error as? SluiceError
        }
    }

    @Test func badURLsSayWhatIsWrong() throws {
        for (url, says) in [
            ("mysql://u@h/db", "is not a postgres:// URL"), ("postgres://h/db", "names no user"), ("postgres://u@h", "names no database"),
            ("postgres://u@h/db?sslmode=require", "does not know"), ("postgres://u@h/db?schema=Bad-Name", "lowercase letters"),
        ] {
            let error = #expect(throws: SluiceError.self) { try PostgresLocation(url: url) }
            #expect(error?.code == .configuration)
            #expect(error?.message.contains(says) == true, "\(url): \(error?.message ?? "")")
        }
        let secret = #expect(throws: SluiceError.self) { try PostgresLocation(url: "postgres://u:hunter2@/db") }
        #expect(secret?.message.contains("hunter2") == false, "the password is never printed")
        let location = try PostgresLocation(url: "postgresql://me:p%40ss@db.example:6543/index?schema=group_a")
        #expect(location == PostgresLocation(host: "db.example", port: 6543, user: "me", password: "p@ss", database: "index", schema: "group_a"))
        #expect(location.description == "postgres://me@db.example:6543/index?schema=group_a")
    }

    @Test func aRefusedPasswordAMissingDatabaseAndNoServerAreOneLineErrors() async throws {
        let good = try PostgresLocation(url: TestDatabase.url)
        var wrongPassword = good
        wrongPassword.password = "not-the-password"
        let refused = await openingError(wrongPassword)
        #expect(refused?.code == .configuration)
        #expect(refused?.message.contains("refused user \(good.user)") == true, "\(refused?.message ?? "opened")")
        var missing = good
        missing.database = "no_such_database"
        let absent = await openingError(missing)
        #expect(absent?.message.contains("database no_such_database does not exist") == true, "\(absent?.message ?? "opened")")
        var nowhere = good
        nowhere.port = 1
        let unreachable = await openingError(nowhere)
        #expect(unreachable?.message.contains("start it or fix the store URL") == true, "\(unreachable?.message ?? "opened")")
        for error in [refused, absent, unreachable] { #expect(error?.message.contains("\n") == false) }
    }

    @Test func processesStartingTogetherMigrateOnce() async throws {
        let location = try TestDatabase.freshLocation()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var options = PostgresStore.Options()
                    options.maximumConnections = 2
                    return try await PostgresStore.open(location, options: options)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(stores.count == 4)
        #expect(try await stores[0].depth() == QueueDepth())
        for store in stores { await store.close() }
    }
}

/// A server that stops under an open store: calls fail at once, retryable
/// with a Retry-After (an API client gets 503), instead of waiting on the
/// pool; once the server is back, calls go through again within seconds.
@Suite(.timeLimit(.minutes(3))) struct PostgresReachabilityTests {
    @Test func callsFailAtOnceWhileTheServerIsDownAndGoOnWhenItIsBack() async throws {
        let work = try TemporaryDirectory("sluice-pg-down")
        defer { work.remove() }
        try await TestCluster.running(in: work.path + "/cluster") { cluster in
            let recorder = LogRecorder()
            let store = try await PostgresStore.open(try PostgresLocation(url: cluster.url), logger: recorder.logger(label: "sluice.postgres"))
            _ = try await store.nextWakeTime()

            try await cluster.stop()
            // Before, the first call waited on postgres-nio's pool until its breaker tripped (15 s and more).
            for attempt in 0..<3 {
                let began = ContinuousClock.now
                let error = await #expect(throws: SluiceError.self) { _ = try await store.nextWakeTime() }
                let waited = ContinuousClock.now - began
                #expect(error?.code == .storage && error?.isRetryable == true && error?.retryAfter != nil, "\(error?.message ?? "")")
                #expect(waited < .seconds(10), "call \(attempt) failed after \(waited)")
            }
            #expect(!recorder.messages(containing: "does not answer").isEmpty, "\(recorder.all.map(\.message))")

            try await cluster.start()
            let back = try await eventually(within: .seconds(30), every: .milliseconds(100)) {
                do {
                    _ = try await store.nextWakeTime()
                    return true
                } catch {
                    return false
                }
            }
            #expect(back, "calls go through once the server is back")
            #expect(!recorder.messages(containing: "answers again").isEmpty, "\(recorder.all.map(\.message))")
            await store.close()
        }
    }
}
