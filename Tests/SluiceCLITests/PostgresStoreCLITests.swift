import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// The `sluice` binary with `--store postgres://…` against the real
/// PostgreSQL `.ci/run` starts: migrations, and the one-line errors (exit 2)
/// for a store it cannot use.
@Suite struct PostgresStoreCLITests {
    /// Runs `sluice ARGS`; its exit status and what it printed on stdout and stderr.
    func sluice(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = arguments
        let output = Pipe()
        let errors = try TemporaryDirectory("sluice-cli-stderr")
        defer { errors.remove() }
        _ = FileManager.default.createFile(atPath: errors.path + "/stderr", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errors.path + "/stderr")
        process.standardOutput = output
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        return (status, String(decoding: data, as: UTF8.self), (try? String(contentsOfFile: errors.path + "/stderr", encoding: .utf8)) ?? "")
    }

    @Test func migrateCreatesTheSchemaAndSaysItsVersion() async throws {
        let url = try TestDatabase.freshURL()
        let data = try TemporaryDirectory("sluice-migrate")
        defer { data.remove() }
        for _ in 0..<2 {
            let migrated = try await sluice(["migrate", "--store", url, "--data-dir", data.path])
            #expect(migrated.status == 0, "\(migrated.errors)")
            #expect(migrated.output.contains("is at schema version") && migrated.output.contains("this Sluice's newest"), "\(migrated.output)")
            #expect(!migrated.output.contains("sluice:sluice@"), "the password is never printed")
        }
    }

    /// An operator with only the store's URL can look at it and manage keys
    /// and dead letters; what needs the vectors says which sink to configure.
    @Test func commandsOfTheStoreAloneNeedNoSink() async throws {
        let url = try TestDatabase.freshURL()
        let data = try TemporaryDirectory("sluice-store-alone")
        defer { data.remove() }
        let created = try await sluice(["keys", "create", "--tenant", "acme", "--store", url, "--data-dir", data.path])
        #expect(created.status == 0, "\(created.errors)")
        for command in [["status", "--json"], ["keys", "list"], ["dead-letters", "list"], ["tenants", "list"], ["export"]] {
            let result = try await sluice(command + ["--store", url, "--data-dir", data.path])
            #expect(result.status == 0, "\(command): \(result.errors)")
        }
        let status = try await sluice(["status", "--store", url, "--data-dir", data.path])
        #expect(status.output.contains("Sink: none configured"), "\(status.output)")
        let keys = try await sluice(["keys", "list", "--store", url, "--data-dir", data.path])
        #expect(keys.output.contains("acme"), "\(keys.output)")
        for command in [["verify"], ["tenants", "purge", "acme", "--yes"], ["search", "--tenant", "acme", "anything"]] {
            let result = try await sluice(command + ["--store", url, "--data-dir", data.path])
            #expect(result.status == 2 && result.errors.contains("need a remote sink: --sink qdrant"), "\(command): \(result.errors)")
        }
    }

    @Test func aStoreItCannotUseIsAOneLineErrorAndExitCode2() async throws {
        let data = try TemporaryDirectory("sluice-bad-store")
        defer { data.remove() }
        let good = try #require(URLComponents(string: TestDatabase.url))
        let host = "\(good.host ?? "127.0.0.1"):\(good.port ?? 5432)"
        let cases: [(url: String, says: String)] = [
            ("mysql://sluice@\(host)/sluice", "is not a postgres:// URL"),
            ("postgres://sluice:wrong-password@\(host)/sluice", "refused user sluice"),
            ("postgres://sluice:\(good.password ?? "")@\(host)/no_such_database", "does not exist"),
            ("postgres://sluice@127.0.0.1:1/sluice", "nothing answers"),
        ]
        for (url, says) in cases {
            for command in [["migrate"], ["status", "--sink", "qdrant", "--qdrant-url", "http://127.0.0.1:1"]] {
                let result = try await sluice(command + ["--store", url, "--data-dir", data.path])
                #expect(result.status == 2, "\(command[0]) \(url): \(result.errors)")
                let lines = result.errors.split(separator: "\n")
                #expect(lines.count == 1 && lines.first?.contains(says) == true, "\(command[0]) \(url): \(result.errors)")
                #expect(!result.errors.contains("wrong-password"), "the password is never printed")
            }
        }
    }
}
