import Foundation
import SluiceApp
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// `sluice status --watch` as a process reading a store another process
/// works on: plain, timestamped lines on a pipe (a bar per tenant, with the
/// whole backlog on its own line), and `--until-idle` returns once the
/// backlog is empty.
@Suite(.serialized, .timeLimit(.minutes(5))) struct StatusWatchTests {
    func status(_ arguments: [String], data: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["status", "--data-dir", data] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    /// What `status --watch` prints on a pipe until `enough` holds (or a minute passes); then it is stopped.
    func watchedLines(data: String, until enough: @escaping @Sendable (String) -> Bool) async throws -> [Substring] {
        let (watching, output) = try status(["--watch", "--interval", "0.3"], data: data)
        let printed = Mutex(Data())
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            printed.withLock { $0.append(data) }
        }
        let sawEnough = try await eventually { enough(printed.withLock { String(decoding: $0, as: UTF8.self) }) }
        watching.terminate()
        _ = try await watching.exited()
        output.fileHandleForReading.readabilityHandler = nil
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let text = printed.withLock { $0.append(rest); return String(decoding: $0, as: UTF8.self) }
        #expect(sawEnough, "status --watch printed, within a minute, what the test waits for: \(text.suffix(2000))")
        return text.split(separator: "\n")
    }

    @Test func watchPrintsPlainLinesAndStopsWhenIdle() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-status-watch").path
        configuration.embeddingDimension = 32
        let runtime = try SluiceRuntime(configuration: configuration)
        let documents = [("acme", 30), ("globex", 20)].flatMap { tenant, count in
            (0..<count).map { IncomingDocument(meta: DocumentMeta(tenant: tenant, docId: "doc\($0).md"), content: "text \($0) of \(tenant)") }
        }
        _ = try await runtime.store.publish(documents.map { try Publication($0, priority: .normal, maxContentBytes: 1 << 20) })

        // Nothing processes yet: two refreshes, then stop it.
        let lines = try await watchedLines(data: configuration.dataDirectory) {
            $0.components(separatedBy: "queue: 50 pending").count > 2
        }
        #expect(!lines.contains { $0.contains("\u{1B}[") }, "no terminal control codes on a pipe")
        #expect(lines.filter { $0.contains("queue: 50 pending") }.count >= 2, "\(lines)")
        #expect(lines.contains { $0.contains("all tenants") && $0.contains("0/50") && $0.contains("ETA ?") }, "\(lines)")
        #expect(lines.contains { $0.contains("acme") && $0.contains("[......") && $0.contains("0/30") }, "\(lines)")
        #expect(lines.contains { $0.contains("globex") && $0.contains("0/20") }, "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("20") }, "every line starts with its time")

        // Processed meanwhile: --until-idle returns by itself.
        let empty = try TemporaryDirectory("sluice-status-empty-root")
        _ = try await Runner(runtime: runtime).run(Runner.Options(root: empty.path, singleTenant: nil))
        #expect(try await runtime.store.depth().pending == 0)
        let (idle, idleOutput) = try status(["--watch", "--until-idle", "--interval", "0.2"], data: configuration.dataDirectory)
        _ = try await idle.exited()
        #expect(idle.terminationStatus == 0)
        let final = String(decoding: idleOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(final.contains("queue: 0 pending") && !final.contains("acme"), "\(final)")
    }

    @Test func manyTenantsGetTheBusiestLinesAndOneForTheRest() async throws {
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-status-many").path
        let runtime = try SluiceRuntime(configuration: configuration)
        // 25 tenants; t-00 has the most pending, t-24 the fewest.
        let documents = (0..<25).flatMap { tenant in
            (0..<(30 - tenant)).map {
                IncomingDocument(meta: DocumentMeta(tenant: String(format: "t-%02d", tenant), docId: "doc\($0).md"), content: "text \($0)")
            }
        }
        _ = try await runtime.store.publish(documents.map { try Publication($0, priority: .normal, maxContentBytes: 1 << 20) })
        let lines = try await watchedLines(data: configuration.dataDirectory) { $0.contains("more tenants onboarding") }
        // One refresh: from its queue line to the next.
        let frame = lines.drop { !$0.contains("queue: ") }.dropFirst().prefix { !$0.contains("queue: ") }
        #expect(frame.filter { $0.contains(" t-") }.count == 20, "\(frame)")
        #expect(frame.contains { $0.contains("t-00 ") } && frame.contains { $0.contains("t-19 ") })
        #expect(!frame.contains { $0.contains("t-20 ") }, "the least busy are summed up, not listed")
        // t-20 ... t-24 have 10 + 9 + 8 + 7 + 6 documents pending.
        #expect(frame.contains { $0.hasSuffix("... and 5 more tenants onboarding, 40 documents pending") }, "\(frame)")
        #expect(frame.contains { $0.contains("all tenants") })
    }

    @Test func watchRefusesJSONAndUntilIdleAlone() async throws {
        let data = try TemporaryDirectory("sluice-status-flags").path
        for arguments in [["--watch", "--json"], ["--until-idle"], ["--watch", "--interval", "0"]] {
            let (process, _) = try status(arguments, data: data)
            _ = try await process.exited()
            #expect(process.terminationStatus == 2, "\(arguments) is a usage error (exit 2)")
        }
    }
}
