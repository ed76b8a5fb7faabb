import Foundation
import SluiceCore

/// Where a PostgreSQL store lives, from a URL:
/// `postgres://user[:password]@host[:port]/database[?schema=name]`.
/// `schema` (default `public`) lets several Sluice groups, or tests, share
/// one database; Sluice creates it when it is missing.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, schema: String = "public") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
    }

    /// Parses a store URL; the error says what is wrong and what a good one looks like.
    public init(url text: String) throws {
        let example = "postgres://user:password@host:5432/database"
        func invalid(_ why: String) -> SluiceError {
            SluiceError(.configuration, "the store URL \(PostgresLocation.redacted(text)) \(why); write it as \(example)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw invalid("is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("names no database") }
        var schema = "public"
        for item in components.queryItems ?? [] {
            guard item.name == "schema", let value = item.value else {
                throw invalid("has the parameter \(item.name), which Sluice does not know (only schema=)")
            }
            guard value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                throw invalid("has schema=\(value): a schema is lowercase letters, digits and _")
            }
            schema = value
        }
        self.init(
            host: host, port: components.port ?? 5432, user: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 }, database: database.removingPercentEncoding ?? database,
            schema: schema)
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema == "public" ? "" : "?schema=\(schema)")
    }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
    }
}
