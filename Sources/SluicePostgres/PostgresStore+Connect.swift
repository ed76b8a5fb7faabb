import Logging
import NIOCore
import PostgresNIO
import SluiceCore

extension PostgresStore {
    /// One connection, at once, to say plainly what is wrong with the URL or
    /// the server: the pool would retry a refused password or a missing
    /// server for about a minute before failing with a circuit breaker error.
    static func probe(_ location: PostgresLocation, logger: Logger) async throws {
        do {
            try await connectOnce(location, logger: logger)
        } catch {
            throw connectionError(location, error)
        }
    }

    /// Makes one connection to `location` and closes it.
    static func connectOnce(_ location: PostgresLocation, logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }

    /// What a failed first connection means, as a `.configuration` error saying what to do.
    static func connectionError(_ location: PostgresLocation, _ error: any Error) -> SluiceError {
        let place = "\(location.host):\(location.port)"
        guard let error = error as? PSQLError else {
            return SluiceError(.configuration, "cannot reach PostgreSQL at \(place) (\(error)); start it or fix the store URL \(location)")
        }
        switch error.serverInfo?[.sqlState] {
        case "28P01", "28000":
            return SluiceError(
                .configuration,
                "PostgreSQL at \(place) refused user \(location.user) (wrong password or no such role); fix the user or password in the store URL \(location)")
        case "3D000":
            return SluiceError(
                .configuration,
                "the database \(location.database) does not exist at \(place); create it (createdb -O \(location.user) \(location.database)) or fix the store URL \(location)")
        case let state?:
            return SluiceError(
                .configuration, "PostgreSQL at \(place) refused the connection: \(error.serverInfo?[.message] ?? "") (SQLSTATE \(state))")
        case nil:
            break
        }
        if error.code == .authMechanismRequiresPassword {
            return SluiceError(
                .configuration, "PostgreSQL at \(place) wants a password for user \(location.user); put it in the store URL (postgres://user:password@host/db)")
        }
        return SluiceError(
            .configuration, "nothing answers as PostgreSQL at \(place) (\(error.code)); start it or fix the store URL \(location)")
    }
}
