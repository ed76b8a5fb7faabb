import Foundation
import SluiceCore
import SluicePostgres

/// `sluice bench --store`'s publish rounds: 1 and 2 `sluice serve` processes
/// on the shared store take small documents from wrk (64 connections in all,
/// split evenly over the processes) while their workers index them into a
/// webhook sink. A round counts the requests wrk saw answered 202 and then
/// checks that every one of them was indexed and nothing failed.
extension StoreBenchmark {
    public struct PublishRound: Sendable, Codable {
        public var processes: Int
        public var seconds: Int
        /// Requests answered, by every wrk together.
        public var requests: Int
        public var requestsPerSecond: Double
        /// The highest p50 and p99 among the processes' wrk runs.
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var non2xx: Int
        /// Every accepted document indexed (wrk's count, plus those in flight when it stopped), nothing failed or pending.
        public var correct: Bool
        public var detail: String
    }

    /// wrk on the PATH, if installed.
    public static func findWrk() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `script` is `bench/publish.lua` (each request a distinct small document
    /// of tenant `bench`, its docIds starting with `BENCH_PREFIX`).
    public func publishRound(
        processes: Int, seconds: Int, wrk: String, script: String, note: @escaping @Sendable (String) -> Void
    ) async throws -> PublishRound {
        guard FileManager.default.fileExists(atPath: script) else {
            throw SluiceError(.configuration, "the wrk script \(script) is not there: run the bench from the repository, or give --publish-script")
        }
        return try await withFreshStore(
            "publish\(processes)", options: PostgresStore.Options(maximumConnections: 2)
        ) { store, url in
            let services = SlowServices(delay: .zero, dimension: 32)
            let executable = self.executable
            let work = workDirectory
            note("publish, \(processes) API process(es): starting them")
            return try await services.serving { root in
                var children: [Process] = []
                defer { for child in children where child.isRunning { child.terminate() } }
                var ports: [Int] = []
                for index in 0..<processes {
                    let (child, port) = try await Self.serve(
                        executable: executable, store: url, dataDirectory: work + "/publish\(processes)-\(index)",
                        arguments: ["--sink", "webhook", "--webhook-url", root + "/hook"], environment: [:])
                    children.append(child)
                    ports.append(port)
                }
                note("publish, \(processes) API process(es): wrk for \(seconds) s")
                let connections = 64 / processes
                var runs: [(Process, Pipe)] = []
                for (index, port) in ports.enumerated() {
                    let run = Process()
                    run.executableURL = URL(fileURLWithPath: wrk)
                    run.arguments = [
                        "-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script, "http://127.0.0.1:\(port)",
                    ]
                    run.environment = ["BENCH_PREFIX": "p\(index)"]
                    let output = Pipe()
                    run.standardOutput = output
                    run.standardError = output
                    try run.run()
                    runs.append((run, output))
                }
                var outputs: [WrkOutput] = []
                for (run, output) in runs {
                    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    guard await run.exitStatus() == 0, let parsed = WrkOutput(text) else {
                        throw SluiceError(.internal, "wrk failed: \(text)")
                    }
                    outputs.append(parsed)
                }
                note("publish, \(processes) API process(es): waiting for the documents to be indexed")
                try await Self.waitForEmptyQueue(store)
                let failedProcesses = await Self.stop(children)
                let summaries = try await store.tenantSummaries()
                let indexed = summaries.reduce(0) { $0 + $1.indexed }
                let pending = summaries.reduce(0) { $0 + $1.pending }
                let failed = summaries.reduce(0) { $0 + $1.failed }
                let requests = outputs.reduce(0) { $0 + $1.requests }
                let non2xx = outputs.reduce(0) { $0 + $1.non2xx }
                let accepted = requests - non2xx
                // wrk does not count the requests in flight when it stops: those may be indexed too.
                let correct = failedProcesses == 0 && non2xx == 0 && pending == 0 && failed == 0 && indexed >= accepted
                    && indexed <= accepted + 64
                return PublishRound(
                    processes: processes, seconds: seconds, requests: requests,
                    requestsPerSecond: outputs.reduce(0) { $0 + $1.requestsPerSecond },
                    p50Milliseconds: outputs.map(\.p50Milliseconds).max() ?? 0, p99Milliseconds: outputs.map(\.p99Milliseconds).max() ?? 0,
                    non2xx: non2xx, correct: correct,
                    detail: "\(accepted) accepted, \(indexed) indexed, \(pending) pending, \(failed) failed, \(non2xx) not 2xx, \(failedProcesses) processes failed")
            }
        }
    }
}

/// What a round reads of wrk's report.
struct WrkOutput {
    var requests: Int
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var non2xx: Int

    init?(_ text: String) {
        var requests: Int?
        var rate: Double?
        var p50: Double?
        var p99: Double?
        var non2xx = 0
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if words.count >= 3, words[1] == "requests", words[2] == "in" { requests = Int(words[0]) }
            if words.first == "Requests/sec:", words.count > 1 { rate = Double(words[1]) }
            if line.contains("Non-2xx or 3xx responses:"), let last = words.last { non2xx = Int(last) ?? 0 }
            if words.count == 2, words[0] == "50%" { p50 = Self.milliseconds(words[1]) }
            if words.count == 2, words[0] == "99%" { p99 = Self.milliseconds(words[1]) }
        }
        guard let requests, let rate, let p50, let p99 else { return nil }
        (self.requests, requestsPerSecond, p50Milliseconds, p99Milliseconds, self.non2xx) = (requests, rate, p50, p99, non2xx)
    }

    /// wrk's "812.00us", "5.12ms" or "1.02s" in milliseconds.
    static func milliseconds(_ text: Substring) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
