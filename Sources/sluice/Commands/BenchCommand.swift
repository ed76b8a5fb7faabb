import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure cold onboarding, a no-op re-sync and an incremental re-sync on a generated corpus.",
        discussion: """
            Generates Markdown files from a fixed seed (five tenants, log-normal sizes with a \
            median around 3 KB, capped at 200 KB) in a temporary directory, then runs \
            `sluice run` three times as a child process: cold, unchanged, and after modifying \
            1%, deleting 0.5% and adding 0.5% of the files. Build with -c release for real figures.
            """)

    @Option(name: .long, help: "Files in the corpus.")
    var files = 10_000

    @Option(name: .long, help: "Tenants the files are spread over.")
    var tenants = 5

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Flag(name: .long, help: "Keep the temporary directory.")
    var keep = false

    func run() async throws {
        guard files >= 10 else { throw ValidationError("--files must be at least 10") }
        guard tenants >= 1 else { throw ValidationError("--tenants must be at least 1") }
        let work = NSTemporaryDirectory() + "sluice-bench-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: work) } }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let benchmark = Benchmark(files: files, tenants: tenants, executable: executable, workDirectory: work)
        let report = try await benchmark.run { message in if !json { Terminal.note(message) } }
        if json {
            print(try Terminal.json(report))
            return
        }
        print(String(format: "corpus: %d files, %.1f MB, %d tenants", report.files, Double(report.corpusBytes) / 1e6, tenants))
        print("phase                   wall (s)   docs/s   chunks embedded   reused   peak RSS (MB)")
        for phase in report.phases {
            print(
                phase.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + String(format: "  %8.2f  %7.0f  %16d  %7d  %14.1f", phase.wallSeconds, phase.documentsPerSecond, phase.chunksEmbedded, phase.chunksReused, Double(phase.peakRSSBytes) / 1_048_576))
        }
        print("incremental: \(report.modified) modified, \(report.deletedFiles) deleted, \(report.added) added; chunks left from deleted files: \(report.chunksLeftFromDeletedFiles)")
        print(String(
            format: "search: %d queries over %d chunks of %@: median %.1f ms, max %.1f ms",
            report.search.queries, report.search.chunks, report.search.tenant, report.search.medianMilliseconds,
            report.search.maxMilliseconds))
        if keep { print("kept \(work)") }
    }
}
