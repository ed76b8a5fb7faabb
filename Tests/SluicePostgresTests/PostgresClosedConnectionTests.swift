import PostgresNIO
import SluiceCore
@testable import SluicePostgres
import SluiceTesting
import Synchronization
import Testing

/// A connection the server closes under a call (a restart, an administrator
/// ending sessions): postgres-nio drops a statement written to a connection
/// already closed, and its caller would wait for it forever. A worker did,
/// once, and nothing was indexed after the server came back. The call fails
/// instead, retryable, and the store goes on with other connections.
@Suite struct PostgresClosedConnectionTests {
    /// Ends the server process of `connection` from another connection, and waits until the channel is closed.
    static func terminate(_ connection: PostgresConnection, store: PostgresStore) async throws {
        let pid = try await connection.query("SELECT pg_backend_pid()", logger: store.logger).collect().first?.decode(Int32.self)
        let location = store.location
        let other = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: .disable),
            id: 99, logger: store.logger)
        _ = try await other.query("SELECT pg_terminate_backend(\(pid ?? 0))", logger: store.logger).collect()
        try await other.close()
        try await connection.closeFuture.get()
        // The channel's handlers are removed after it closed: a statement written now goes nowhere.
        try await Task.sleep(for: .milliseconds(200))
    }

    /// What `call` ended with, or nil when it still waits after 15 s (it is then left waiting).
    static func within15Seconds<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> Result<T, any Error>? {
        let ended = Mutex<Result<T, any Error>?>(nil)
        let task = Task {
            do {
                let value = try await call()
                ended.withLock { $0 = .success(value) }
            } catch {
                ended.withLock { $0 = .failure(error) }
            }
        }
        _ = try await eventually(within: .seconds(15), every: .milliseconds(100)) { ended.withLock { $0 != nil } }
        task.cancel()
        return ended.withLock { $0 }
    }

    @Test func aStatementOnAConnectionTheServerClosedFailsInsteadOfWaitingForever() async throws {
        let store = try await PostgresStore.open(try TestDatabase.freshLocation())
        let ended = try await Self.within15Seconds {
            try await store.reading("reading on a connection the server closes") { connection in
                try await Self.terminate(connection, store: store)
                return try await connection.query("SELECT 1", logger: store.logger).collect().count
            }
        }
        #expect(ended != nil, "the call still waits 15 s after its connection closed")
        if case .failure(let error) = ended {
            let failure = error as? SluiceError
            #expect(failure?.code == .storage && failure?.isRetryable == true, "\(error)")
            #expect(failure?.message.contains("reading on a connection the server closes failed") == true, "\(error)")
        }
        if case .success = ended { Issue.record("a statement on a closed connection succeeded") }
        // The store goes on: the next call gets a connection that works.
        let answer = try await store.reading("reading after") { connection in
            try await connection.query("SELECT 41 + 1", logger: store.logger).collect().first?.decode(Int.self)
        }
        #expect(answer == 42)
        // The closed connection is no longer watched; the open ones are watched once each, not once a call.
        #expect(store.closedConnections.watched <= store.options.maximumConnections)
        await store.close()
    }

    /// A transaction whose statement failed as the server ended its connection
    /// fails at once with what the server said, not with the watch's
    /// generic reason. (The grace is long here so that only a call still
    /// waiting seconds after the close, not a busy machine that runs the
    /// call's task late, is given up on: CI once ran it more than a second late.)
    @Test func aTransactionTheServerEndedFailsWithWhatTheServerSaid() async throws {
        var options = PostgresStore.Options()
        options.closedConnectionGrace = .seconds(8)
        let store = try await PostgresStore.open(try TestDatabase.freshLocation(), options: options)
        let ended = try await Self.within15Seconds {
            try await store.transaction("writing in a transaction the server ends") { connection in
                let pid = try await connection.query("SELECT pg_backend_pid()", logger: store.logger).collect().first?.decode(Int32.self)
                // Ended by the server while this statement runs: it fails with the server's reason.
                try await connection.query("SELECT pg_sleep(0.5), pg_terminate_backend(\(pid ?? 0))", logger: store.logger).collect()
            }
        }
        #expect(ended != nil, "the transaction still waits 15 s after its connection closed")
        if case .failure(let error) = ended {
            let failure = error as? SluiceError
            #expect(failure?.isRetryable == true, "\(error)")
            #expect(failure?.message.contains("terminating connection") == true, "\(error)")
        }
        await store.close()
    }
}
