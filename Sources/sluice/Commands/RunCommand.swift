import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Scan DIR, queue what changed, index it, and exit when the queue is empty.",
        discussion: """
            Each top-level folder of DIR is a tenant (--tenant NAME makes DIR one tenant). \
            New and changed files are indexed, vanished files tombstoned, unchanged files \
            not even read. Hidden files and editors' temporary files are ignored; \
            --include/--exclude and a .sluiceignore file (one glob per line) narrow the rest.

            Exit status: 0 when every document was indexed or skipped with a recorded \
            reason, 1 when some failed (see `sluice dead-letters list`), 2 for a usage or \
            configuration error.

            Settings come from flags, then these environment variables, then a \
            configuration file (--config FILE or SLUICE_CONFIG; TOML, each key the variable \
            without SLUICE_, lowercased: concurrency = 8), then defaults:
            \(Setting.all.map { "  \($0.variable.padding(toLength: 26, withPad: " ", startingAt: 0)) \($0.summary) (default \($0.value(in: Configuration())))" }.joined(separator: "\n"))
            """)

    @Argument(help: "Folder of tenant folders (or, with --tenant, one tenant's folder).")
    var directory: String

    @Option(name: .long, help: "Treat DIR as the folder of this single tenant.")
    var tenant: String?

    @Option(name: .long, help: "Only index files matching this glob (repeatable), e.g. '**/*.md'.")
    var include: [String] = []

    @Option(name: .long, help: "Skip files and folders matching this glob (repeatable), e.g. 'drafts/'.")
    var exclude: [String] = []

    @Option(name: .long, help: .setting("SLUICE_CONCURRENCY"))
    var concurrency: String?

    @Option(name: .long, help: .setting("SLUICE_BATCH_SIZE"))
    var batchSize: String?

    @Option(name: .long, help: .setting("SLUICE_CHUNK_SIZE"))
    var chunkSize: String?

    @Option(name: .long, help: .setting("SLUICE_CHUNK_OVERLAP"))
    var chunkOverlap: String?

    @Option(name: .long, help: .setting("SLUICE_EMBED_DIMENSION"))
    var embedDimension: String?

    @Flag(name: .long, help: "Keep running: watch DIR and index every change as it happens (stop with Ctrl-C or SIGTERM).")
    var watch = false

    @Option(name: .long, help: "With --watch: also serve the HTTP API on HOST:PORT, for example 127.0.0.1:8080 (SLUICE_LISTEN).")
    var listen: String?

    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress display.")
    var quiet = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder; give the folder that holds the tenants' folders (or one tenant's folder with --tenant)")
        }
        if listen != nil && !watch { throw ValidationError("--listen needs --watch (or use `sluice serve`)") }
    }

    func run() async throws {
        var configuration = try store.configuration([
            ("SLUICE_CONCURRENCY", concurrency), ("SLUICE_BATCH_SIZE", batchSize), ("SLUICE_CHUNK_SIZE", chunkSize),
            ("SLUICE_CHUNK_OVERLAP", chunkOverlap), ("SLUICE_EMBED_DIMENSION", embedDimension), ("SLUICE_LISTEN", listen),
        ])
        configuration.include = include
        configuration.exclude = exclude
        let singleTenant = try tenant.map { try TenantID($0) }
        store.bootstrapLogging(configuration)

        let runtime = try await SluiceRuntime.open(configuration: configuration)
        if watch {
            let session = LiveSession(
                runtime: runtime, watching: Runner.Options(root: directory, singleTenant: singleTenant),
                listen: configuration.listen, rescanInterval: configuration.rescanInterval)
            let reporter = WatchReporter(enabled: !quiet)
            try await session.run(
                onReady: { Terminal.note("Watching \(directory); changes are indexed as they happen. Ctrl-C stops.") },
                onActivity: { reporter.show($0) })
            return
        }
        let printer = ProgressPrinter(enabled: !quiet && !json)
        let summary = try await Runner(runtime: runtime).run(
            Runner.Options(root: directory, singleTenant: singleTenant),
            progressInterval: Terminal.isInteractive ? .milliseconds(250) : .seconds(5),
            onProgress: { printer.show($0) })
        if json {
            print(try Terminal.json(summary))
        } else {
            printSummary(summary, configuration: configuration)
        }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }

    func printSummary(_ summary: RunSummary, configuration: Configuration) {
        var lines: [String] = []
        for problem in summary.problems { lines.append("warning: \(Terminal.escaped(problem))") }
        if summary.reindexedForSettings > 0 {
            lines.append("Embedder or chunking settings changed: \(summary.reindexedForSettings) documents were re-indexed.")
        }
        lines.append(String(format: "Done in %.1f s: %@ files scanned.", summary.wallSeconds, Terminal.grouped(summary.filesScanned)))
        func row(_ label: String, _ value: Int, _ note: String = "") -> String {
            label.padding(toLength: 11, withPad: " ", startingAt: 0) + Terminal.grouped(value).leftPadded(8) + note
        }
        lines.append(row("  indexed", summary.indexed))
        lines.append(row("  unchanged", summary.unchanged))
        lines.append(row("  deleted", summary.deleted))
        lines.append(row("  skipped", summary.skipped))
        for (reason, count) in summary.skipReasons.sorted(by: { $0.value > $1.value }).prefix(10) {
            lines.append("      \(Terminal.grouped(count)) × \(Terminal.escaped(reason))")
        }
        lines.append(row("  failed", summary.failed))
        for failure in summary.failures { lines.append("      \(Terminal.escaped(failure))") }
        if summary.failed > summary.failures.count {
            lines.append("      ... and \(summary.failed - summary.failures.count) more: sluice dead-letters list")
        }
        lines.append("  chunks embedded \(Terminal.grouped(summary.chunksEmbedded)), reused from the cache \(Terminal.grouped(summary.chunksReused))")
        let dataDir = configuration.dataDirectory == ".sluice" ? "" : " --data-dir \(configuration.dataDirectory)"
        lines.append("")
        lines.append("Search it:  sluice search\(dataDir) --tenant \(summary.tenants.first ?? "TENANT") \"your question\"")
        lines.append("Status:     sluice status\(dataDir)")
        print(lines.joined(separator: "\n"))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
