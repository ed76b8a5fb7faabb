import Foundation
import SluiceCore
import SluicePostgres

/// The PostgreSQL the tests use: `SLUICE_TEST_POSTGRES_URL`, which `.ci/run`
/// sets after starting one (`scripts/test-postgres start DIR` starts one
/// locally and prints its URL, which is also the default here). Every store
/// a test opens gets a schema of its own, so tests never see each other's rows.
public enum TestDatabase {
    public static let url = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES_URL"] ?? "postgres://sluice:sluice@127.0.0.1:54329/sluice"

    /// A store URL (`--store`) naming a new, empty schema.
    public static func freshURL() throws -> String {
        url + (url.contains("?") ? "&" : "?") + "schema=" + (try freshLocation()).schema
    }

    /// A location in a new, empty schema.
    public static func freshLocation() throws -> PostgresLocation {
        var location = try PostgresLocation(url: url)
        location.schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        return location
    }

    /// A store over a new schema, driven by `clock`.
    public static func freshStore(clock: any SluiceClock, options: PostgresStore.Options = PostgresStore.Options()) async throws -> PostgresStore {
        var options = options
        options.maximumConnections = 3
        return try await PostgresStore.open(try freshLocation(), clock: clock, options: options)
    }
}
