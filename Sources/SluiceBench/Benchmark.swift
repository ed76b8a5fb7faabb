import Foundation
import SluiceApp
import SluiceCore

/// `sluice bench`: cold onboarding, a no-op re-sync and an incremental
/// re-sync of a generated corpus, each a real `sluice run` child process, so
/// the figures include start-up and the peak RSS is the child's own.
public struct Benchmark: Sendable {
    public struct Phase: Sendable, Codable {
        public var name: String
        public var wallSeconds: Double
        public var documents: Int
        public var documentsPerSecond: Double
        public var chunksEmbedded: Int
        public var chunksReused: Int
        public var peakRSSBytes: Int
        public var indexed: Int
        public var unchanged: Int
        public var deleted: Int
        /// The ETA reported at 25%, 50% and 75% done against the time the backlog took to empty (cold onboarding only).
        public var eta: [EtaProbe.Check]?
    }

    public struct Report: Sendable, Codable {
        public var files: Int
        public var corpusBytes: Int
        public var phases: [Phase]
        /// Chunks still stored for files deleted before the incremental run (must be 0).
        public var chunksLeftFromDeletedFiles: Int
        public var modified: Int
        public var deletedFiles: Int
        public var added: Int
        public var search: SearchFigures
        /// How long after the first tenant's first indexed document the last tenant got its first (fair leasing).
        public var lastTenantStartSeconds: Double
        /// Correctness: a benchmark whose own results are wrong measured nothing.
        public var checks: [Verdict]
        /// The issues' bars, met or not.
        public var bars: [Verdict]

        /// Whether every correctness check passed.
        public var isCorrect: Bool { checks.allSatisfy(\.passed) }
    }

    /// A named check or bar and whether it held, with the figure behind it.
    public struct Verdict: Sendable, Codable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    /// Search latency over the largest tenant, measured in process after the runs.
    public struct SearchFigures: Sendable, Codable {
        public var tenant: String
        public var chunks: Int
        public var queries: Int
        public var medianMilliseconds: Double
        public var maxMilliseconds: Double
    }

    public var files: Int
    public var tenants: Int
    public var executable: String
    public var workDirectory: String
    public var environment: [String: String]

    public init(files: Int, tenants: Int = 5, executable: String, workDirectory: String, environment: [String: String] = [:]) {
        self.files = files
        self.tenants = tenants
        self.executable = executable
        self.workDirectory = workDirectory
        self.environment = environment
    }

    public func run(log: (String) -> Void) async throws -> Report {
        let corpus = workDirectory + "/corpus"
        let data = workDirectory + "/data"
        let generator = CorpusGenerator(files: files, tenants: tenants)
        log("generating \(files) files in \(corpus) ...")
        let bytes = try generator.write(to: corpus)
        log("generated \(String(format: "%.1f", Double(bytes) / 1e6)) MB")
        // On disk before the onboarding starts, as a tenant's folder is: the corpus's write-back
        // otherwise shares the disk with the onboarding (4 to 7 s of 100,000 files' 45).
        sync()

        var phases: [Phase] = []
        log("cold onboarding ...")
        phases.append(try await runPhase("cold onboarding", corpus: corpus, data: data, probeETA: true))
        // Fair leasing: how long after the first tenant's first indexed document the last tenant got its first
        // (the whole corpus is queued before any is processed, tenant after tenant).
        let firsts = try await SluiceRuntime.openStore(path: data + "/sluice.sqlite").firstDocumentWritten()
        let lastTenantStart = firsts.values.max().flatMap { last in firsts.values.min().map { (last - $0).seconds } } ?? .infinity
        // A run of a fifth of a second moves with the machine by as much: the median of several, each checked.
        log("no-op re-sync (\(Benchmark.noopRuns) runs) ...")
        var noops: [Phase] = []
        for _ in 0..<Benchmark.noopRuns { noops.append(try await runPhase("no-op re-sync", corpus: corpus, data: data)) }
        noops.sort { $0.wallSeconds < $1.wallSeconds }
        log(String(format: "no-op re-syncs: %@ s", noops.map { String(format: "%.3f", $0.wallSeconds) }.joined(separator: ", ")))
        phases.append(noops[noops.count / 2])

        // Modify 1%, delete 0.5%, add 0.5%, spread over the corpus.
        let modifyCount = max(1, files / 100)
        let changeCount = max(1, files / 200)
        let stride = max(1, files / modifyCount)
        let modified = (0..<modifyCount).map { ($0 * stride) % files }
        let deleted = (0..<changeCount).map { ($0 * stride + stride / 2) % files }.filter { !modified.contains($0) }
        for index in modified { try generator.modify(index, under: corpus) }
        for index in deleted { try FileManager.default.removeItem(atPath: corpus + "/" + generator.relativePath(index)) }
        for index in files..<(files + changeCount) { try generator.add(index, under: corpus) }
        log("incremental re-sync (\(modified.count) modified, \(deleted.count) deleted, \(changeCount) added) ...")
        phases.append(try await runPhase("incremental re-sync", corpus: corpus, data: data))

        let runtime = try SluiceRuntime(configuration: {
            var configuration = Configuration()
            configuration.dataDirectory = data
            return configuration
        }())
        var left = 0
        let deletedIds = Set(deleted.map { generator.relativePath($0) })
        try await runtime.store.exportChunks(tenant: nil, batchSize: 5000) { chunks in
            left += chunks.filter { deletedIds.contains("\($0.tenant)/\($0.docId)") }.count
        }
        log("search ...")
        let search = try await measureSearch(runtime)
        let (cold, noop, incremental) = (phases[0], phases[1], phases[2])
        let checks = [
            Verdict(
                name: "cold onboarding indexed every file", passed: cold.indexed == files,
                detail: "\(cold.indexed) indexed of \(files)"),
            Verdict(
                name: "the no-op re-syncs changed nothing",
                passed: noops.allSatisfy { $0.indexed == 0 && $0.deleted == 0 && $0.chunksEmbedded == 0 },
                detail: "\(noops.map(\.indexed).reduce(0, +)) indexed, \(noops.map(\.deleted).reduce(0, +)) deleted, \(noops.map(\.chunksEmbedded).reduce(0, +)) chunks embedded in \(noops.count) runs"),
            Verdict(
                name: "the incremental re-sync did exactly the changes",
                passed: incremental.indexed == modified.count + changeCount && incremental.deleted == deleted.count && left == 0,
                detail: "\(incremental.indexed) indexed (expected \(modified.count + changeCount)), \(incremental.deleted) deleted (expected \(deleted.count)), \(left) chunks left from deleted files"),
            Verdict(
                name: "every tenant was indexed", passed: firsts.count == tenants, detail: "\(firsts.count) of \(tenants) tenants"),
        ]
        let etaAt25 = cold.eta?.first?.errorPercent
        let bars = Self.benchCorpusBars(files: files, cold: cold, noop: noop, noops: noops.count, incremental: incremental) + [
            Verdict(
                name: "the ETA at 25% within 25% of the actual (issue 6)", passed: (etaAt25 ?? .infinity) <= 25,
                detail: etaAt25.map { String(format: "off by %.1f%%", $0) } ?? "no ETA read"),
            Verdict(
                name: "every tenant's first document indexed within 10% of cold onboarding of the first tenant's (issue 12)",
                passed: lastTenantStart <= cold.wallSeconds / 10,
                detail: String(format: "the last tenant's first %.2f s after the first tenant's, of %.2f s", lastTenantStart, cold.wallSeconds)),
        ] + [Self.largeCorpusBar(files: files, tenants: tenants, cold: cold)].compactMap { $0 }
        return Report(
            files: files, corpusBytes: bytes, phases: phases, chunksLeftFromDeletedFiles: left,
            modified: modified.count, deletedFiles: deleted.count, added: changeCount, search: search,
            lastTenantStartSeconds: lastTenantStart, checks: checks, bars: bars)
    }

    /// The bars of issues 2 and 17 set for the 10,000-file corpus; none for
    /// another size (100,000 files have their own, `largeCorpusBar`).
    static func benchCorpusBars(files: Int, cold: Phase, noop: Phase, noops: Int, incremental: Phase) -> [Verdict] {
        guard files == 10_000 else { return [] }
        return [
            Verdict(
                name: "cold onboarding of 10,000 files <= 10 s, peak RSS <= 300 MB (issue 2)",
                passed: cold.wallSeconds <= 10 && cold.peakRSSBytes <= 300 << 20,
                detail: String(format: "%.2f s, %.1f MB", cold.wallSeconds, Double(cold.peakRSSBytes) / 1_048_576)),
            Verdict(
                name: "cold onboarding of 10,000 files <= 4 s, peak RSS <= 150 MB (issue 17)",
                passed: cold.wallSeconds <= 4 && cold.peakRSSBytes <= 150 << 20,
                detail: String(format: "%.2f s, %.1f MB", cold.wallSeconds, Double(cold.peakRSSBytes) / 1_048_576)),
            Verdict(name: "no-op re-sync <= 1 s (issue 2)", passed: noop.wallSeconds <= 1, detail: String(format: "%.2f s", noop.wallSeconds)),
            Verdict(
                name: "no-op re-sync of 10,000 files <= 0.15 s, the process's start included, median of \(noops) (issue 17)",
                passed: noop.wallSeconds <= 0.15, detail: String(format: "%.3f s", noop.wallSeconds)),
            Verdict(
                name: "incremental re-sync <= 1 s (issue 2)", passed: incremental.wallSeconds <= 1,
                detail: String(format: "%.2f s", incremental.wallSeconds)),
        ]
    }

    /// Issue 17's bar for 100,000 files in 1,000 tenants: cold onboarding
    /// within 40 s, and the rate of its last quarter no more than 10% below
    /// that of its first. The quarters are cut where the ETA probe saw 25%,
    /// 50% and 75% done (the first holds the process's start and the scan's).
    /// Nil for another corpus.
    static func largeCorpusBar(files: Int, tenants: Int, cold: Phase) -> Verdict? {
        let name = "100,000 files in 1,000 tenants <= 40 s, the last quarter's rate within 10% of the first's (issue 17)"
        guard files >= 100_000 && tenants >= 1_000 else { return nil }
        guard let eta = cold.eta, eta.count == 3 else { return Verdict(name: name, passed: false, detail: "no quarters read") }
        // Seconds at which each mark was seen, from the start of the run, then its end.
        let marks = eta.map { cold.wallSeconds - $0.actualSeconds } + [cold.wallSeconds]
        let done = eta.map(\.percentDone) + [100]
        var quarters: [(seconds: Double, percent: Double)] = []
        var previous = (seconds: 0.0, percent: 0.0)
        for (at, percent) in zip(marks, done) {
            quarters.append((at - previous.seconds, percent - previous.percent))
            previous = (at, percent)
        }
        let rates = quarters.map { $0.seconds > 0 ? $0.percent / $0.seconds : 0 }
        let (first, last) = (rates[0], rates[3])
        return Verdict(
            name: name, passed: cold.wallSeconds <= 40 && last >= first * 0.9,
            detail: String(
                format: "%.1f s; quarters %@ s; rate of the last %.0f%% of the first's, of the second's %.0f%%", cold.wallSeconds,
                quarters.map { String(format: "%.1f", $0.seconds) }.joined(separator: ", "), first > 0 ? last / first * 100 : 0,
                rates[1] > 0 ? last / rates[1] * 100 : 0))
    }

    /// No-op re-syncs run; the median is the phase's figure.
    static let noopRuns = 5

    /// Runs 20 queries against the tenant with the most chunks.
    func measureSearch(_ runtime: SluiceRuntime) async throws -> SearchFigures {
        guard let largest = try await runtime.store.tenantSummaries().max(by: { $0.chunks < $1.chunks }) else {
            return SearchFigures(tenant: "", chunks: 0, queries: 0, medianMilliseconds: 0, maxMilliseconds: 0)
        }
        let tenant = try TenantID(largest.tenant)
        var random = SplitMix64(seed: 99)
        var timings: [Double] = []
        for _ in 0..<20 {
            let words = (0..<4).map { _ in
                String(decoding: CorpusGenerator.vocabulary[Int(random.next() % UInt64(CorpusGenerator.vocabulary.count))], as: UTF8.self)
            }
            let started = ContinuousClock.now
            _ = try await runtime.search(tenant: tenant, query: words.joined(separator: " "), k: 10)
            timings.append((ContinuousClock.now - started).seconds * 1000)
        }
        timings.sort()
        return SearchFigures(
            tenant: largest.tenant, chunks: largest.chunks, queries: timings.count,
            medianMilliseconds: timings[timings.count / 2], maxMilliseconds: timings.last ?? 0)
    }

    /// Runs `sluice run` once; with `probeETA`, watches its onboarding's ETA from this process meanwhile.
    func runPhase(_ name: String, corpus: String, data: String, probeETA: Bool = false) async throws -> Phase {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", corpus, "--data-dir", data, "--json", "--quiet"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let probe = EtaProbe(storePath: data + "/sluice.sqlite")
        let started = ContinuousClock.now
        try process.run()
        async let checks = probeETA ? probe.run() : []
        let bytes = try await BlockingIO.run { output.fileHandleForReading.readDataToEndOfFile() }
        _ = await process.exitStatus()
        let wall = (ContinuousClock.now - started).seconds
        probe.stop()
        let eta = await checks
        guard process.terminationStatus == 0 else {
            throw SluiceError(.internal, "`sluice run` exited with \(process.terminationStatus) during \(name)")
        }
        let summary = try JSONDecoder().decode(RunSummary.self, from: bytes)
        let documents = summary.indexed + summary.deleted + summary.skipped + summary.unchanged
        return Phase(
            name: name, wallSeconds: wall, documents: documents, documentsPerSecond: Double(documents) / wall,
            chunksEmbedded: summary.chunksEmbedded, chunksReused: summary.chunksReused,
            peakRSSBytes: summary.peakRSSBytes, indexed: summary.indexed, unchanged: summary.unchanged,
            deleted: summary.deleted, eta: probeETA ? eta : nil)
    }
}
