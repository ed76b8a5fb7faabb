import Foundation
import SluiceApp
import SluiceCore

/// `sluice bench --live`: a real `sluice run --watch` child process, and the
/// bench process writing files next to it and searching the same store.
///
/// - latency: single-file edits at idle, `editGap` apart; time from the write
///   to the new text being returned by search.
/// - burst: 500 files rewritten 5 times within about a second (five rounds,
///   same size each time); document processings, and time from the last write
///   until every final version is indexed.
/// - flood: 10,000 new files copied into a tenant with `cp -r`, with an edit
///   made during the copy; time until all are indexed, kernel queue overflows,
///   and the child's peak RSS.
public struct LiveBenchmark: Sendable {
    public struct Latency: Sendable, Codable {
        public var edits: Int
        public var p50Milliseconds: Double
        public var p95Milliseconds: Double
        public var p99Milliseconds: Double
        public var maxMilliseconds: Double
    }

    public struct Burst: Sendable, Codable {
        public var files: Int
        public var writes: Int
        public var writeSeconds: Double
        public var processings: Int
        /// Share of the superseded writes (writes minus files) that caused no processing.
        public var supersededEliminated: Double
        public var secondsFromLastWriteToAllIndexed: Double
        public var missing: Int
    }

    public struct Flood: Sendable, Codable {
        public var files: Int
        public var copySeconds: Double
        public var secondsToAllIndexed: Double
        public var indexed: Int
        public var lost: Int
        public var overflows: Int
        public var editDuringFloodMilliseconds: Double
        public var peakRSSBytes: Int
    }

    public struct Report: Sendable, Codable {
        public var latency: Latency
        public var burst: Burst
        public var flood: Flood

        /// Correctness: every final version indexed, nothing of the flood lost.
        public var isCorrect: Bool { burst.missing == 0 && flood.lost == 0 }

        /// Issue 17's bars for live watching: an edit at idle searchable
        /// within 40 ms (p50) and 80 ms (p99), and the burst still folded
        /// (at least 95% of the superseded writes eliminated, issue 3's
        /// bar) with every final version indexed within 1 s of the last write.
        public var bars: [Benchmark.Verdict] {
            [
                Benchmark.Verdict(
                    name: "live edit to searchable p50 <= 40 ms, p99 <= 80 ms at idle (issue 17)",
                    passed: latency.p50Milliseconds <= 40 && latency.p99Milliseconds <= 80,
                    detail: String(format: "p50 %.0f ms, p99 %.0f ms", latency.p50Milliseconds, latency.p99Milliseconds)),
                Benchmark.Verdict(
                    name: "burst: >= 95% of superseded writes eliminated, final versions within 1 s (issue 17)",
                    passed: burst.missing == 0 && burst.supersededEliminated >= 0.95 && burst.secondsFromLastWriteToAllIndexed <= 1,
                    detail: String(
                        format: "%d processings for %d files, %.1f%%, %.2f s", burst.processings, burst.files,
                        burst.supersededEliminated * 100, burst.secondsFromLastWriteToAllIndexed)),
            ]
        }
    }

    public var executable: String
    public var workDirectory: String
    public var edits = 200
    public var editGap: Duration = .seconds(1)
    public var burstFiles = 500
    public var burstRounds = 5
    public var floodFiles = 10_000

    public init(executable: String, workDirectory: String) {
        self.executable = executable
        self.workDirectory = workDirectory
    }

    public func run(log: (String) -> Void) async throws -> Report {
        let corpus = workDirectory + "/corpus"
        let data = workDirectory + "/data"
        let logPath = workDirectory + "/watch.log"
        for index in 0..<20 { try write(corpus + "/live/note\(index).md", liveText(index, token: "start")) }
        for index in 0..<burstFiles { try write(corpus + "/burst/file\(index).md", burstText(index, round: 0)) }
        try FileManager.default.createDirectory(atPath: corpus + "/flood", withIntermediateDirectories: true)

        log("starting sluice run --watch ...")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["run", corpus, "--watch", "--data-dir", data]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        child.standardOutput = logHandle
        child.standardError = logHandle
        try child.run()
        defer {
            if child.isRunning { child.terminate() }
        }
        var configuration = Configuration()
        configuration.dataDirectory = data
        try await waitFor("the initial onboarding", timeout: 120) {
            FileManager.default.fileExists(atPath: data + "/sluice.sqlite")
        }
        let runtime = try SluiceRuntime(configuration: configuration)
        try await waitFor("the initial onboarding", timeout: 120) {
            let summaries = try await runtime.store.tenantSummaries()
            return summaries.reduce(0) { $0 + $1.indexed } == 20 + burstFiles && summaries.allSatisfy { $0.pending == 0 }
        }

        log("latency: \(edits) single edits, \(editGap) apart ...")
        var latencies: [Double] = []
        for edit in 0..<edits {
            latencies.append(try await timeEdit(runtime, corpus: corpus, note: edit % 20, token: "edit\(edit)q"))
            try await Task.sleep(for: editGap)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)] }
        let latency = Latency(
            edits: latencies.count, p50Milliseconds: percentile(0.50), p95Milliseconds: percentile(0.95),
            p99Milliseconds: percentile(0.99), maxMilliseconds: latencies.last ?? 0)

        log("burst: \(burstFiles) files rewritten \(burstRounds) times ...")
        let burstTenant = try TenantID("burst")
        let processedBefore = try await runtime.store.documents(tenant: burstTenant, status: nil).reduce(0) { $0 + $1.processings }
        let burstStart = ContinuousClock.now
        var finalHashes: [String: String] = [:]
        for round in 1...burstRounds {
            let roundStart = ContinuousClock.now
            for index in 0..<burstFiles {
                let text = burstText(index, round: round)
                try write(corpus + "/burst/file\(index).md", text)
                finalHashes["file\(index).md"] = ContentHash.of(text).hex
            }
            // Five rounds within about a second.
            let spent = ContinuousClock.now - roundStart
            if spent < .milliseconds(200) && round < burstRounds { try await Task.sleep(for: .milliseconds(200) - spent) }
        }
        let lastWrite = ContinuousClock.now
        let writeSeconds = (lastWrite - burstStart).seconds
        var missing = burstFiles
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let documents = try await runtime.store.documents(tenant: burstTenant, status: .indexed)
            missing = burstFiles - documents.filter { finalHashes[$0.key.docId.rawValue] == $0.contentHash }.count
            if missing == 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let settled = (ContinuousClock.now - lastWrite).seconds
        try await waitFor("the burst's queue to drain", timeout: 30) { try await runtime.store.depth().pending == 0 }
        let processings = try await runtime.store.documents(tenant: burstTenant, status: nil).reduce(0) { $0 + $1.processings } - processedBefore
        let writes = burstFiles * burstRounds
        let burst = Burst(
            files: burstFiles, writes: writes, writeSeconds: writeSeconds, processings: processings,
            supersededEliminated: Double(writes - processings) / Double(writes - burstFiles),
            secondsFromLastWriteToAllIndexed: settled, missing: missing)

        log("flood: copying \(floodFiles) files into a tenant ...")
        let staging = workDirectory + "/staging"
        var generator = CorpusGenerator(files: floodFiles, tenants: 1, seed: 5)
        generator.filesPerFolder = 500
        try generator.write(to: staging)
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-r", staging + "/tenant-0/.", corpus + "/flood/"]
        let floodStart = ContinuousClock.now
        try copy.run()
        try await Task.sleep(for: .milliseconds(300))
        let editDuringFlood = try await timeEdit(runtime, corpus: corpus, note: 0, token: "floodedit")
        _ = await copy.exitStatus()
        let copySeconds = (ContinuousClock.now - floodStart).seconds
        let floodTenant = try TenantID("flood")
        var indexed = 0
        let floodDeadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < floodDeadline {
            indexed = try await runtime.store.tenantSummary(floodTenant).indexed
            if indexed >= floodFiles { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let floodSeconds = (ContinuousClock.now - floodStart).seconds
        let peak = Self.peakResidentBytes(of: child.processIdentifier)
        child.terminate()
        _ = await child.exitStatus()
        try logHandle.close()
        let overflows = (try? String(contentsOfFile: logPath, encoding: .utf8))?
            .components(separatedBy: "\n").filter { $0.contains("queue overflowed") }.count ?? 0
        let flood = Flood(
            files: floodFiles, copySeconds: copySeconds, secondsToAllIndexed: floodSeconds, indexed: indexed,
            lost: floodFiles - indexed, overflows: overflows, editDuringFloodMilliseconds: editDuringFlood,
            peakRSSBytes: peak)
        return Report(latency: latency, burst: burst, flood: flood)
    }

    /// Writes `token` into a note and returns the milliseconds until search returns it.
    func timeEdit(_ runtime: SluiceRuntime, corpus: String, note: Int, token: String) async throws -> Double {
        let tenant = try TenantID("live")
        let started = ContinuousClock.now
        try write(corpus + "/live/note\(note).md", liveText(note, token: token))
        let deadline = started + .seconds(30)
        while ContinuousClock.now < deadline {
            // The 384-dimension hashing embedder can tie an unrelated note with the token: look at the top 5.
            let hits = try await runtime.search(tenant: tenant, query: token, k: 5)
            if hits.contains(where: { $0.docId == "note\(note).md" && $0.text.contains(token) }) {
                return (ContinuousClock.now - started).seconds * 1000
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw SluiceError(.internal, "the edit \(token) was not searchable after 30 s")
    }

    func liveText(_ index: Int, token: String) -> String {
        "# Note \(index)\n\nThis note currently says \(token). It is short and changes often.\n"
    }

    func burstText(_ index: Int, round: Int) -> String {
        // The same size every round: the round number is padded.
        "# Burst file \(index)\n\nRevision r\(String(format: "%03d", round)) of file \(index). " + String(repeating: "Steady words repeat here. ", count: 40) + "\n"
    }

    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Rewrite in place (open, truncate, write, close), as most programs save.
        guard let handle = FileHandle(forWritingAtPath: path) else {
            try Data(text.utf8).write(to: url)
            return
        }
        try handle.truncate(atOffset: 0)
        handle.write(Data(text.utf8))
        try handle.close()
    }

    func waitFor(_ what: String, timeout seconds: Int, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SluiceError(.internal, "timed out waiting for \(what)")
    }

    /// VmHWM of a running process, from /proc.
    static func peakResidentBytes(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
