import Foundation
import SluiceApp
import SluiceCore

/// `sluice bench --formats`: cold onboarding of a mixed corpus of PDF and
/// Office documents made by their real producers (`bench/formats-corpus.py`:
/// 400 PDFs, 300 DOCX, 150 PPTX, 150 XLSX), whose marker sentences must all
/// be found in the index; then the hostile set
/// (`Tests/Support/format-fixtures.py`), where every file must end with a
/// reason and the process must neither crash nor hang past the deadline.
public struct FormatsBenchmark: Sendable {
    public struct Report: Sendable, Codable {
        public var documents: Int
        public var corpusBytes: Int
        public var cold: Benchmark.Phase
        public var markers: Int
        public var markersFound: Int
        /// Files of the corpus whose markers were not all found (up to 10).
        public var missing: [String]
        public var hostile: HostileFigures
        public var checks: [Benchmark.Verdict]
        public var bars: [Benchmark.Verdict]
        public var isCorrect: Bool { checks.allSatisfy(\.passed) }
    }

    public struct HostileFigures: Sendable, Codable {
        public var files: Int
        public var heavy: Int
        public var wallSeconds: Double
        /// How the run ended: "exit N" or "signal N".
        public var ending: String
        public var peakRSSBytes: Int
        /// Each file and what became of it: "skipped: reason", "failed: reason", or "indexed".
        public var outcomes: [String: String]
        public var heavyOutcomes: [String: String]
    }

    /// The hostile set: every fixture that must end skipped or failed with a reason (the slow PDF passes the deadline).
    static let hostileFixtures = [
        "pdf-truncated", "pdf-encrypted-user", "pdf-scanned", "pdf-loop", "pdf-many-pages", "pdf-slow", "not-a-pdf",
        "docx-bomb", "docx-bomb-lying", "docx-long-run", "docx-many-parts", "docx-not-zip", "pdf-named-docx", "docx-named-xlsx",
        "epub-missing-chapter", "epub-long-chapter",
    ]
    /// Heavy but valid: must be indexed, within the deadline (a million empty rows).
    static let heavyFixtures = ["xlsx-empty-rows"]

    public var executable: String
    public var workDirectory: String
    /// `bench/formats-corpus.py` and `Tests/Support/format-fixtures.py`.
    public var generator: String
    public var fixtures: String
    public var scale = 1.0
    /// Under the seconds the slow PDF takes (about 6), over what the heavy files take (about 1.5).
    public var extractTimeoutSeconds = 3

    public init(executable: String, workDirectory: String, generator: String, fixtures: String) {
        self.executable = executable
        self.workDirectory = workDirectory
        self.generator = generator
        self.fixtures = fixtures
    }

    public func run(log: (String) -> Void) async throws -> Report {
        for script in [generator, fixtures] where !FileManager.default.fileExists(atPath: script) {
            throw SluiceError(.configuration, "\(script) is not there; run the bench from the repository's root, or pass --formats-generator and --formats-fixtures")
        }
        let corpus = workDirectory + "/corpus"
        log("generating the corpus with \(generator) ...")
        _ = try await python([generator, corpus, "--scale", String(scale)])
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: workDirectory + "/manifest.json"))
        let manifest = try JSONDecoder().decode([String: [String]].self, from: manifestData)
        let bytes = try FileManager.default.subpathsOfDirectory(atPath: corpus).reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: corpus + "/" + path)[.size] as? Int) ?? 0)
        }
        log("cold onboarding of \(manifest.count) documents ...")
        let bench = Benchmark(files: manifest.count, executable: executable, workDirectory: workDirectory)
        let cold = try await bench.runPhase("cold onboarding", corpus: corpus, data: workDirectory + "/data")

        log("looking for the markers ...")
        var configuration = Configuration()
        configuration.dataDirectory = workDirectory + "/data"
        let runtime = try SluiceRuntime(configuration: configuration)
        var texts: [String: String] = [:]
        try await runtime.store.exportChunks(tenant: nil, batchSize: 5000) { chunks in
            for chunk in chunks { texts["\(chunk.tenant)/\(chunk.docId)", default: ""] += chunk.text + "\n" }
        }
        var found = 0
        var missing: [String] = []
        for (file, markers) in manifest.sorted(by: { $0.key < $1.key }) {
            let text = texts[file] ?? ""
            let present = markers.filter { text.contains($0 + " ") || text.contains($0 + "\n") || text.hasSuffix($0) }
            found += present.count
            if present.count < markers.count && missing.count < 10 { missing.append("\(file): \(markers.count - present.count) of \(markers.count) missing") }
        }
        let markerCount = manifest.values.reduce(0) { $0 + $1.count }

        log("the hostile set ...")
        let hostile = try await runHostile()

        let checks = [
            Benchmark.Verdict(
                name: "every document indexed", passed: cold.indexed == manifest.count, detail: "\(cold.indexed) of \(manifest.count)"),
            Benchmark.Verdict(
                name: "every hostile file ended skipped or failed with a reason",
                passed: hostile.outcomes.count == hostile.files
                    && hostile.outcomes.values.allSatisfy { ($0.hasPrefix("skipped: ") || $0.hasPrefix("failed: ")) && $0.count > 10 },
                detail: "\(hostile.outcomes.filter { !$0.value.hasPrefix("indexed") }.count) of \(hostile.files)"),
            Benchmark.Verdict(
                name: "the heavy but valid files were indexed within the deadline",
                passed: hostile.heavyOutcomes.count == hostile.heavy && hostile.heavyOutcomes.values.allSatisfy { $0 == "indexed" },
                detail: hostile.heavyOutcomes.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")),
            Benchmark.Verdict(
                name: "the hostile run ended by itself (0 crashes)", passed: hostile.ending == "exit 0" || hostile.ending == "exit 1",
                detail: hostile.ending),
        ]
        let rate = Double(manifest.count) / cold.wallSeconds
        let bars = [
            Benchmark.Verdict(
                name: "cold onboarding of the mixed corpus >= 50 documents/s, peak RSS <= 400 MB (issue 13)",
                passed: rate >= 50 && cold.peakRSSBytes <= 400 << 20,
                detail: String(format: "%.1f documents/s (%.2f s), %.1f MB", rate, cold.wallSeconds, Double(cold.peakRSSBytes) / 1_048_576)),
            Benchmark.Verdict(
                name: "100% of marker sentences found (issue 13)", passed: found == markerCount, detail: "\(found) of \(markerCount)"),
            Benchmark.Verdict(
                name: "the hostile set: 0 crashes, 0 hangs past the time limit, every file with a reason (issue 13)",
                passed: checks[1].passed && checks[3].passed
                    && hostile.wallSeconds < Double(extractTimeoutSeconds) * Double(hostile.files + hostile.heavy),
                detail: String(format: "%@, %.1f s for %d files (limit %d s each), peak RSS %.1f MB", hostile.ending, hostile.wallSeconds, hostile.files, extractTimeoutSeconds, Double(hostile.peakRSSBytes) / 1_048_576)),
        ]
        return Report(
            documents: manifest.count, corpusBytes: bytes, cold: cold, markers: markerCount, markersFound: found, missing: missing,
            hostile: hostile, checks: checks, bars: bars)
    }

    /// `sluice run` over the hostile set, with the extraction deadline at `extractTimeoutSeconds`.
    func runHostile() async throws -> HostileFigures {
        let corpus = workDirectory + "/hostile"
        let names = String(decoding: try await python([fixtures, corpus + "/acme"] + FormatsBenchmark.hostileFixtures), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let heavy = String(decoding: try await python([fixtures, corpus + "/acme"] + FormatsBenchmark.heavyFixtures), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let data = workDirectory + "/hostile-data"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", corpus, "--data-dir", data, "--json", "--quiet"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_EXTRACT_TIMEOUT_SECONDS": String(extractTimeoutSeconds)]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let started = ContinuousClock.now
        try process.run()
        let bytes = try await BlockingIO.run { output.fileHandleForReading.readDataToEndOfFile() }
        _ = await process.exitStatus()
        let wall = (ContinuousClock.now - started).seconds
        let ending = process.terminationReason == .exit ? "exit \(process.terminationStatus)" : "signal \(process.terminationStatus)"
        let summary = try? JSONDecoder().decode(RunSummary.self, from: bytes)
        var configuration = Configuration()
        configuration.dataDirectory = data
        let store = try SluiceRuntime(configuration: configuration).store
        var outcomes: [String: String] = [:]
        let tenant = try TenantID("acme")
        for document in try await store.documents(tenant: tenant, status: nil) {
            outcomes[document.key.docId.rawValue] = document.status == .skipped ? "skipped: \(document.reason ?? "")" : "\(document.status)"
        }
        for letter in try await store.deadLetters(tenant: tenant) { outcomes[letter.key.docId.rawValue] = "failed: \(letter.reason)" }
        return HostileFigures(
            files: names.count, heavy: heavy.count, wallSeconds: wall, ending: ending, peakRSSBytes: summary?.peakRSSBytes ?? 0,
            outcomes: outcomes.filter { names.contains($0.key) }, heavyOutcomes: outcomes.filter { heavy.contains($0.key) })
    }

    /// Runs `python3 ARGUMENTS` and returns what it printed.
    func python(_ arguments: [String]) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = try await BlockingIO.run { output.fileHandleForReading.readDataToEndOfFile() }
        _ = await process.exitStatus()
        guard process.terminationStatus == 0 else {
            throw SluiceError(.configuration, "python3 \(arguments.first ?? "") failed (exit \(process.terminationStatus)); it needs Tests/Support/requirements.txt (pip install -r)")
        }
        return data
    }
}
