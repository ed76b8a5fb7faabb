import Foundation
import SluiceCore

/// A PostgreSQL cluster of a test's own (`scripts/test-postgres` on a free
/// port in a temporary directory), for tests that stop and start the server
/// under a running store. Slower than `TestDatabase` (initdb takes seconds):
/// only for outages.
public struct TestCluster: Sendable {
    public let directory: String
    public let port: Int
    /// The URL of its database (`scripts/test-postgres` makes the role and database).
    public var url: String { "postgres://sluice:sluice@127.0.0.1:\(port)/sluice" }

    public init(directory: String, port: Int = Int.random(in: 41_000..<45_000)) {
        self.directory = directory
        self.port = port
    }

    /// Starts a cluster in `directory`, runs `body` with it, and stops it
    /// however `body` ends (a server left running would outlive the test).
    public static func running<T: Sendable>(in directory: String, _ body: (TestCluster) async throws -> T) async throws -> T {
        let cluster = TestCluster(directory: directory)
        try await cluster.start()
        do {
            let value = try await body(cluster)
            try? await cluster.stop()
            return value
        } catch {
            try? await cluster.stop()
            throw error
        }
    }

    /// Starts the cluster (creating it the first time).
    public func start() async throws {
        let said = try await run("start")
        guard said == url else { throw SluiceError(.io, "scripts/test-postgres started \(said), not \(url)") }
    }

    /// Stops the server (fast shutdown: open connections are ended).
    public func stop() async throws {
        try await run("stop")
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            + "/scripts/test-postgres"
    }

    /// Runs `scripts/test-postgres COMMAND DIR PORT`; its output. Spawned and
    /// waited for with posix_spawn and waitpid: Foundation's `Process` never
    /// saw this script end (it starts the server through `su`).
    @discardableResult
    private func run(_ command: String) async throws -> String {
        let output = directory + ".\(command).out"
        let arguments = [
            "/bin/bash", "-c", "exec /bin/bash \"$0\" \"$1\" \"$2\" \"$3\" > \"$4\" 2>/dev/null < /dev/null",
            Self.script, command, directory, String(port), output,
        ]
        let status = try await BlockingIO.run { () throws -> Int32 in
            var pid: pid_t = 0
            var argv = arguments.map { strdup($0) } + [nil]
            defer { for argument in argv { free(argument) } }
            guard posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ) == 0 else {
                throw SluiceError(.io, "cannot start bash for scripts/test-postgres")
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (status >> 8) & 0xff
        }
        guard status == 0 else { throw SluiceError(.io, "scripts/test-postgres \(command) failed (exit \(status))") }
        return try String(contentsOfFile: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
