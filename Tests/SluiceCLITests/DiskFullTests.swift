import Foundation
import SluiceApp
import SluiceConnectors
import SluiceCore
import SluiceTesting
import Testing

/// A disk that fills (SQLITE_FULL) under `sluice run`: the data directory is
/// a small tmpfs, mounted in a private user and mount namespace (`unshare
/// -rm`, no privileges needed and nothing visible outside the test), so the
/// kernel answers ENOSPC as a full disk would. The run stops with an error
/// that says what happened and what to do; the space is then grown (a
/// remount keeps the files) and the next run completes: the index equals
/// the files, with no duplicate chunks and nothing half-written.
@Suite(.serialized) struct DiskFullTests {
    @Test(arguments: ["2m", "6m"]) func aFullDiskStopsTheRunClearlyAndTheNextRunRecovers(size: String) async throws {
        let work = try TemporaryDirectory("sluice-disk-full")
        defer { work.remove() }
        for tenant in ["acme", "globex"] {
            for index in 0..<1500 {
                try work.write("corpus/\(tenant)/doc\(index).md", "# Doc \(index)\n\n" + String(repeating: "words of document \(index) in \(tenant). ", count: 40))
            }
        }
        try FileManager.default.createDirectory(atPath: work.path + "/data", withIntermediateDirectories: true)
        let script = """
            cd "$1" || exit 92
            mount -t tmpfs -o size=\(size) tmpfs data || exit 90
            "$2" run corpus --data-dir data --quiet --json > first.json 2> first.err
            echo $? > first.status
            mount -o remount,size=512m data || exit 91
            "$2" run corpus --data-dir data --quiet --json > second.json 2> second.err
            echo $? > second.status
            cp -a data kept
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-rm", "sh", "-c", script, "sh", work.path, try CrashSafetyTests.binary()]
        try process.run()
        let status = try await process.exited().status
        try #require(status == 0, "unshare -rm with a tmpfs mount must work here (user namespaces): exit \(status)")
        func read(_ name: String) -> String {
            ((try? String(contentsOfFile: work.path + "/" + name, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(read("first.status") == "1", "the run on a full disk fails: \(read("first.err"))")
        #expect(read("first.err").contains("database or disk is full; free disk space and run again"), "\(read("first.err"))")
        #expect(read("second.status") == "0", "once there is space, the next run completes: \(read("second.err"))")

        var configuration = Configuration()
        configuration.dataDirectory = work.path + "/kept"
        let runtime = try SluiceRuntime(configuration: configuration)
        let stored = try await runtime.store.storedChunkSignatures()
        #expect(stored.rows == stored.signatures.count, "no duplicate chunks")
        let expected = try ExpectedIndex.signatures(of: work.path + "/corpus", chunker: MarkdownChunker())
        #expect(stored.signatures == expected, "missing \(expected.subtracting(stored.signatures).count), extra \(stored.signatures.subtracting(expected).count)")
        #expect(try await runtime.store.depth() == QueueDepth(), "nothing left in the queue")
        #expect(try await runtime.store.tenantSummaries().reduce(0) { $0 + $1.indexed } == 3000)
    }
}
