import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// `sluice bench --chaos`: a seeded, randomized, bounded convergence test.
///
/// A real `sluice run DIR --watch --listen` child process (per-tenant API
/// keys on) is driven for `seconds` with random file creates, edits (in
/// place and by atomic rename), moves, folder moves and deletes, hostile
/// symbolic links, API publishes, batches and tombstones across several
/// tenants, and publishes to another tenant's name (which must be refused).
/// Faults are injected on a timeline: SIGKILL of the child (files keep
/// changing while it is down), a real inotify queue overflow (the child is
/// stopped with SIGSTOP while more events than the kernel queue holds are
/// made), and with the Qdrant test server as the sink, outages (connections
/// refused) and 429 storms with Retry-After. Every kind of fault happens at
/// least once, at fixed fractions of the run; more come at random.
///
/// Then quiescence: faults cleared, API changes whose answer was lost are
/// sent again (as any client would), and the index must come to equal the
/// files and the published documents exactly, per tenant: every expected
/// document indexed at its last version, every chunk the chunker makes from
/// it stored once, nothing else stored, no chunk in one tenant holding
/// another tenant's text, no dead letters (no input here is bad), and with
/// Qdrant the collection equal to the store (`sluice verify`) with no request
/// the test server refused.
public struct ChaosBenchmark: Sendable {
    public struct Counts: Sendable, Codable {
        public var creates = 0
        public var edits = 0
        public var moves = 0
        public var folderMoves = 0
        public var deletes = 0
        public var folderDeletes = 0
        public var links = 0
        public var publishes = 0
        public var batches = 0
        public var tombstones = 0
        public var foreignPublishes = 0
        public var unansweredRequests = 0
        public var kills = 0
        public var stops = 0
        public var overflowsSeen = 0
        public var outages = 0
        public var storms = 0
    }

    public struct Report: Sendable, Codable {
        public var seed: UInt64
        public var seconds: Int
        public var sink: String
        public var tenants: [String]
        public var counts: Counts
        public var expectedDocuments: Int
        public var expectedChunks: Int
        /// Expected documents not indexed at their last version.
        public var lost: Int
        /// The first of them, with what the store says.
        public var lostExamples: [String] = []
        /// Chunks stored more than once (by tenant, docId and ordinal).
        public var duplicated: Int
        /// Stored chunks holding another tenant's text.
        public var crossTenant: Int
        /// Chunks stored that no file or published document accounts for (deleted, moved away, outdated).
        public var leftOver: Int
        /// Publishes under another tenant's name that were accepted.
        public var foreignAccepted: Int
        public var deadLetters: [String]
        /// Seconds from the end of the chaos until the index matched.
        public var quiescenceSeconds: Double
        /// With Qdrant: `sluice verify`'s drift and the requests the test server refused.
        public var sinkDrift: Int
        /// The first documents the sink holds differently, with how.
        public var sinkDriftExamples: [String] = []
        public var sinkInvalidRequests: [String]
        public var childExitStatus: Int32
        public var checks: [Benchmark.Verdict]

        public var isCorrect: Bool { checks.allSatisfy(\.passed) }
    }

    public var executable: String
    public var workDirectory: String
    public var seed: UInt64 = 1
    public var seconds = 60
    public var tenantNames = ["acme", "globex", "initech", "umbrella"]
    /// Tests/Support/qdrant-test-server.py: the sink is then Qdrant (this stand-in, with faults).
    public var qdrantTestServer: String?
    public var quiescenceTimeout: Duration = .seconds(300)

    public init(executable: String, workDirectory: String) {
        self.executable = executable
        self.workDirectory = workDirectory
    }

    public func run(log: @escaping @Sendable (String) -> Void) async throws -> Report {
        let corpus = workDirectory + "/corpus"
        let data = workDirectory + "/data"
        let port = Int.random(in: 20_000..<40_000)
        let server = try qdrantTestServer.map { try FaultServer(script: $0) }
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_API_RATE_LIMIT_PER_MINUTE"] = "1000000"
        environment["SLUICE_SETTLE_MS"] = "50"
        if let server {
            environment["SLUICE_SINK"] = "qdrant"
            environment["SLUICE_QDRANT_URL"] = server.url
            environment["SLUICE_QDRANT_COLLECTION"] = "chaos"
            environment["SLUICE_SINK_BATCH_POINTS"] = "32"
        }
        var configuration = try Configuration.resolve(environment: environment)
        configuration.dataDirectory = data
        let runtime = try SluiceRuntime(configuration: configuration)
        var keys: [String: String] = [:]
        for tenant in tenantNames { keys[tenant] = try await runtime.store.createKey(tenant: try TenantID(tenant), label: "chaos").secret }

        var random = SplitMix64(seed: seed)
        var world = World(corpus: corpus, tenants: tenantNames)
        for tenant in tenantNames {
            try FileManager.default.createDirectory(atPath: corpus + "/" + tenant, withIntermediateDirectories: true)
            for _ in 0..<20 { try world.create(tenant: tenant, random: &random) }
        }
        let child = Child(executable: executable, arguments: ["run", corpus, "--watch", "--listen", "127.0.0.1:\(port)", "--data-dir", data],
            environment: environment, log: workDirectory + "/child.log")
        let api = APIClient(base: "http://127.0.0.1:\(port)", keys: keys)
        var counts = Counts()
        try child.start()
        defer { child.kill() }
        try await api.waitUntilHealthy(within: .seconds(120))

        // The fault timeline: one of each kind at fixed fractions, more at random.
        let start = ContinuousClock.now
        let end = start + .seconds(seconds)
        // The overflow comes after the kill, so the restart's scan cannot mend what the overflow lost.
        var faults: [(at: ContinuousClock.Instant, kind: FaultKind)] = [
            (start + .seconds(Double(seconds) * 0.2), .kill), (start + .seconds(Double(seconds) * 0.7), .overflow),
        ]
        if server != nil { faults += [(start + .seconds(Double(seconds) * 0.35), .outage), (start + .seconds(Double(seconds) * 0.5), .storm)] }
        for _ in 0..<(seconds / 45) {
            for kind in server == nil ? [FaultKind.kill, .overflow] : [.kill, .overflow, .outage, .storm] {
                faults.append((start + .seconds(Double(seconds) * Double(random.next() % 900 + 50) / 1000), kind))
            }
        }
        faults.sort { $0.at < $1.at }
        var restartAt: ContinuousClock.Instant?
        var faultEnds: ContinuousClock.Instant?
        // A tenth of the run at most: in a short run the fixed outage (at 35%) must be over before the fixed
        // storm (at 50%), or the storm waits behind it and, under load, past the end (CI saw 0 storms).
        // Runs of 100 s and more are unaffected (2 to 8 s outages, 3 to 10 s storms): the 600 s figures stand.
        let maxFaultMilliseconds = seconds * 100

        log("chaos: seed \(seed), \(seconds) s, \(tenantNames.count) tenants, sink \(server == nil ? "embedded" : "qdrant (test server)") ...")
        // Past the end only to let a fault of each kind happen, if a slow machine kept one from its moment.
        func everyFaultHappened() -> Bool {
            counts.kills > 0 && counts.stops > 0 && (server == nil || (counts.outages > 0 && counts.storms > 0))
        }
        while ContinuousClock.now < end || (!everyFaultHappened() && ContinuousClock.now < end + .seconds(60)) {
            let now = ContinuousClock.now
            if let due = restartAt, now >= due {
                world.note("restart")
                try child.start()
                restartAt = nil
            }
            if let due = faultEnds, now >= due, let server {
                try await server.inject(["mode": "none"])
                faultEnds = nil
            }
            if let fault = faults.first, now >= fault.at {
                faults.removeFirst()
                switch fault.kind {
                case .kill where restartAt == nil:
                    try await child.killed()
                    world.note("SIGKILL")
                    counts.kills += 1
                    restartAt = now + .milliseconds(Int(random.next() % 3000))
                case .overflow where restartAt == nil && child.isWatching():
                    let seen = child.overflowsLogged()
                    try await overflow(child: child, world: &world, random: &random, counts: &counts)
                    counts.stops += 1
                    // The child logs the overflow once it reads its queue again.
                    let deadline = ContinuousClock.now + .seconds(30)
                    while child.overflowsLogged() == seen && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                case .outage where faultEnds == nil:
                    try await server?.inject(["mode": "down"])
                    counts.outages += 1
                    faultEnds = now + .milliseconds(min(2000 + Int(random.next() % 6000), maxFaultMilliseconds))
                case .storm where faultEnds == nil:
                    try await server?.inject(["mode": "status", "status": 429, "probability": 0.7, "retry_after": 1])
                    counts.storms += 1
                    faultEnds = now + .milliseconds(min(3000 + Int(random.next() % 7000), maxFaultMilliseconds))
                default:
                    // Its moment came while another fault of its kind was under way: later, then.
                    faults.append((now + .seconds(3), fault.kind))
                    faults.sort { $0.at < $1.at }
                }
                continue
            }
            // One action, or a burst of them.
            let burst = random.next() % 40 == 0 ? 30 + Int(random.next() % 70) : 1
            for _ in 0..<burst { try await act(world: &world, api: api, random: &random, counts: &counts) }
            try await Task.sleep(for: .milliseconds(Int(random.next() % 80)))
        }

        log("quiescence ...")
        let quiet = ContinuousClock.now
        if let server { try await server.inject(["mode": "none"]) }
        if restartAt != nil { try child.start() }
        try await api.waitUntilHealthy(within: .seconds(120))
        // Changes whose answer was lost are sent again, as a client would, until acknowledged.
        let resendDeadline = ContinuousClock.now + .seconds(120)
        while !world.unconfirmed.isEmpty && ContinuousClock.now < resendDeadline {
            for key in world.unconfirmed.sorted() {
                let acknowledged = try await api.send(key: key, content: world.published[key.tenant]?[key.docId] ?? nil)
                if acknowledged { world.unconfirmed.remove(key) }
            }
            if !world.unconfirmed.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        let expected = try world.expectedDocuments()
        var converged = false
        let deadline = ContinuousClock.now + quiescenceTimeout
        while ContinuousClock.now < deadline {
            if try await runtime.store.depth().pending == 0, try await indexedHashes(runtime) == expected.mapValues(\.hash) {
                converged = true
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let quiescence = (ContinuousClock.now - quiet).seconds
        if !converged { log("the index did not match within \(quiescenceTimeout); comparing what is there") }
        counts.overflowsSeen = child.overflowsLogged()
        let status = try await child.stop()

        log("comparing ...")
        var report = try await compare(runtime: runtime, expected: expected)
        report.counts = counts
        report.quiescenceSeconds = quiescence
        report.childExitStatus = status
        report.foreignAccepted = api.foreignAccepted
        if let server {
            let audit = try await SinkAudit(store: runtime.store, sink: runtime.sink).run(tenant: nil, repair: false)
            report.sinkDrift = audit.drift.count + (audit.pending > 0 ? 1 : 0)
            report.sinkDriftExamples = audit.drift.prefix(5).map { "\($0.tenant)/\($0.docId): \($0.summary)" }
            report.sinkInvalidRequests = try await server.invalidRequests()
        }
        report.sink = server == nil ? "embedded" : "qdrant"
        report.checks = [
            Benchmark.Verdict(
                name: "every fault happened", passed: counts.kills > 0 && counts.overflowsSeen > 0 && (server == nil || (counts.outages > 0 && counts.storms > 0)),
                detail: "\(counts.kills) kills, \(counts.overflowsSeen) inotify overflows seen by the child, \(counts.outages) sink outages, \(counts.storms) 429 storms"),
            Benchmark.Verdict(name: "converged", passed: converged, detail: String(format: "%.1f s after the chaos ended", quiescence)),
            Benchmark.Verdict(
                name: "0 lost", passed: report.lost == 0,
                detail: "\(report.lost) of \(report.expectedDocuments) documents not at their last version" + report.lostExamples.map { "; " + $0 }.joined()),
            Benchmark.Verdict(name: "0 duplicated", passed: report.duplicated == 0, detail: "\(report.duplicated) chunks stored twice"),
            Benchmark.Verdict(
                name: "0 cross-tenant", passed: report.crossTenant == 0 && report.foreignAccepted == 0,
                detail: "\(report.crossTenant) chunks with another tenant's text, \(report.foreignAccepted) of \(counts.foreignPublishes) publishes to another tenant accepted"),
            Benchmark.Verdict(name: "nothing left over", passed: report.leftOver == 0, detail: "\(report.leftOver) chunks no file or document accounts for"),
            Benchmark.Verdict(name: "no dead letters", passed: report.deadLetters.isEmpty, detail: report.deadLetters.prefix(3).joined(separator: "; ")),
            Benchmark.Verdict(
                name: "the sink equals the store", passed: report.sinkDrift == 0 && report.sinkInvalidRequests.isEmpty,
                detail: server == nil
                    ? "embedded"
                    : "\(report.sinkDrift) documents off, \(report.sinkInvalidRequests.count) requests Qdrant would refuse"
                        + (report.sinkDriftExamples + report.sinkInvalidRequests.prefix(3)).map { "; " + $0 }.joined()),
            Benchmark.Verdict(name: "the child stopped cleanly on SIGTERM", passed: status == 0, detail: "exit status \(status)"),
        ]
        return report
    }

    enum FaultKind { case kill, overflow, outage, storm }
}
