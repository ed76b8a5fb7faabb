import Foundation
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// `sluice run --watch` as a process: SIGTERM stops it gracefully (exit 0),
/// and a restart continues where it stopped.
@Suite(.serialized) struct WatchProcessTests {
    func start(_ corpus: String, _ data: String, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["run", corpus, "--watch", "--data-dir", data]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func expected(_ corpus: String) throws -> Set<ChunkSignature> {
        try ExpectedIndex.signatures(of: corpus, chunker: MarkdownChunker())
    }

    func waitForIndex(_ data: String, toEqual expected: Set<ChunkSignature>) async throws -> Bool {
        var configuration = Configuration()
        configuration.dataDirectory = data
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: data + "/sluice.sqlite"),
                let runtime = try? SluiceRuntime(configuration: configuration),
                let stored = try? await runtime.store.storedChunkSignatures(),
                stored.signatures == expected, stored.rows == expected.count
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func sigtermStopsGracefullyAndARestartContinues() async throws {
        let work = try TemporaryDirectory("sluice-watch-process")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<50 { try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }

        let first = try start(corpus, data, log: work.path + "/first.log")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")
        for index in 0..<30 { try work.write("corpus/acme/new\(index).md", "# New \(index)\n\nfresh words \(index)") }
        kill(first.processIdentifier, SIGTERM)
        _ = try await first.exited()
        #expect(first.terminationReason == .exit && first.terminationStatus == 0, "SIGTERM is a graceful stop")
        let log = (try? String(contentsOfFile: work.path + "/first.log", encoding: .utf8)) ?? ""
        #expect(log.contains("stopped; pending changes stay queued"), "the shutdown was graceful")

        // Changes while stopped, then a restart: everything converges.
        try work.remove("corpus/acme/doc3.md")
        try work.write("corpus/acme/doc4.md", "# Doc 4\n\nrewritten while stopped")
        let second = try start(corpus, data, log: work.path + "/second.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the restart catches up")
        kill(second.processIdentifier, SIGINT)
        #expect(try await second.exited().status == 0)
    }

    /// SIGKILL of a watching process while a burst of events is in flight:
    /// what it had taken in is in the store, and what it had not is found by
    /// the next start's scan, so the index converges to the files.
    @Test func sigkillWithEventsInFlightThenRestartConverges() async throws {
        let work = try TemporaryDirectory("sluice-watch-kill")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<20 { try work.write("corpus/acme/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }
        let first = try start(corpus, data, log: work.path + "/first.log")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")
        // A burst of creates, edits and deletes, killed in the middle of it.
        for index in 0..<300 {
            try work.write("corpus/globex/burst\(index).md", "# Burst \(index)\n\nburst words \(index)")
            if index % 3 == 0 { try work.write("corpus/acme/doc\(index % 20).md", "# Doc \(index % 20)\n\nedited in the burst \(index)") }
            if index == 150 { try work.remove("corpus/acme/doc7.md") }
        }
        kill(first.processIdentifier, SIGKILL)
        _ = try await first.exited()
        #expect(first.terminationReason == .uncaughtSignal)

        let second = try start(corpus, data, log: work.path + "/second.log")
        defer { if second.isRunning { second.terminate() } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the restart converges to the files, no duplicate chunks")
        kill(second.processIdentifier, SIGTERM)
        #expect(try await second.exited().status == 0)
    }

    /// A real kernel queue overflow: the watching process is stopped (SIGSTOP)
    /// while more events than `fs.inotify.max_queued_events` are made, among
    /// them a folder deleted and made again and a new folder. Continued, it
    /// sees the overflow, rescans, and watches those folders: files created in
    /// them afterwards are indexed as they come (before, the new folders went
    /// unwatched until the safety rescan, ten minutes later).
    @Test func aRealInotifyOverflowRescansAndWatchesFoldersMadeDuringIt() async throws {
        let work = try TemporaryDirectory("sluice-watch-overflow")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        for index in 0..<10 { try work.write("corpus/acme/old/doc\(index).md", "# Doc \(index)\n\nwords about item \(index)") }
        let log = work.path + "/watch.log"
        let process = try start(corpus, data, log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")

        let limit = Int((try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 16_384
        kill(process.processIdentifier, SIGSTOP)
        // Three events each (create, close, delete), more than the kernel queue holds.
        for index in 0..<(limit / 3 + 1_000) {
            let path = corpus + "/acme/noise\(index).md"
            _ = FileManager.default.createFile(atPath: path, contents: Data("noise".utf8))
            unlink(path)
        }
        // The queue is full: these events are lost.
        try work.remove("corpus/acme/old")
        try work.write("corpus/acme/old/again.md", "# Again\n\nthe folder was made again")
        try work.write("corpus/acme/fresh/first.md", "# First\n\nin a folder made during the flood")
        kill(process.processIdentifier, SIGCONT)
        #expect(try await eventually(within: .seconds(30)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("inotify queue overflowed")
        }, "the overflow was seen")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the rescan found what the lost events said")

        // Files created later in the folders made during the overflow are seen as they come
        // (not by a rescan: the next is the safety rescan, ten minutes away).
        try work.write("corpus/acme/old/later.md", "# Later\n\nmade after the overflow")
        try work.write("corpus/acme/fresh/later.md", "# Later too\n\nmade after the overflow as well")
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "folders made during the overflow are watched")
        kill(process.processIdentifier, SIGTERM)
        #expect(try await process.exited().status == 0)
    }

    /// The inotify watch limit, for real: the process runs in its own user
    /// namespace with `max_inotify_watches` at 4 (`unshare -r`, nothing
    /// changes outside it), under two tenants' trees of eight folders, with no
    /// watch budget per tenant and no periodic safety rescan. It says which
    /// sysctl to raise, and the folders past the limit, in either tenant, are
    /// still indexed by the rescans of the tenants with unwatched folders
    /// (SLUICE_UNWATCHED_RESCAN_SECONDS, 1 s here).
    @Test func pastTheWatchLimitEveryTenantWithUnwatchedFoldersIsRescanned() async throws {
        let work = try TemporaryDirectory("sluice-watch-limit")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        let data = work.path + "/data"
        let folders = ["acme/a", "acme/b", "acme/c", "acme/d", "globex/e", "globex/f"]
        for folder in folders { try work.write("corpus/\(folder)/first.md", "# First in \(folder)\n\nwords of \(folder)") }
        let log = work.path + "/watch.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = [
            "-r", "sh", "-c", "echo 4 > /proc/sys/user/max_inotify_watches && exec \"$0\" run \"$1\" --watch --data-dir \"$2\"",
            try CrashSafetyTests.binary(), corpus, data,
        ]
        process.environment = ["SLUICE_RESCAN_INTERVAL": "0", "SLUICE_TENANT_MAX_WATCHED_FOLDERS": "0", "SLUICE_UNWATCHED_RESCAN_SECONDS": "1"]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "the initial files are indexed")
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(said.contains("the inotify watch limit is reached; raise it with `sysctl fs.inotify.max_user_watches=524288`"), "\(said)")

        // New files in every folder, watched or not, and in a new folder of each tenant: all indexed.
        for folder in folders + ["acme/new", "globex/new"] {
            try work.write("corpus/\(folder)/second.md", "# Second in \(folder)\n\nmore words of \(folder)")
        }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "folders past the limit are found by the rescans")
        // Once more, now that the new folders exist (a new folder is scanned when it appears, watched or not).
        for folder in folders + ["acme/new", "globex/new"] {
            try work.write("corpus/\(folder)/third.md", "# Third in \(folder)\n\nstill more words of \(folder)")
        }
        #expect(try await waitForIndex(data, toEqual: try expected(corpus)), "and what lands in them later")
        let after = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(after.contains("rescan found"), "the rescans found them")
        #expect(after.contains("rescanning tenant globex") && after.contains("rescanning tenant acme"), "\(after)")
        kill(process.processIdentifier, SIGTERM)
        #expect(try await process.exited().status == 0)
    }
}
