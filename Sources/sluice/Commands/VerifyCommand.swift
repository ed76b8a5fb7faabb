import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the sink with the state store and report drift; --repair queues what is off.",
        discussion: """
            For every indexed document, each of its chunks must be a point in the sink, written from \
            its current content; any other point of a Sluice document is an orphan (a deleted document, \
            or the tail of a shortened one). Exits 1 when drift is found and not repaired. Run it with \
            the same --sink settings as `sluice run`; a write-only sink (webhook, another Sluice) cannot \
            be verified from here.
            """)

    @Option(name: .long, help: "Check one tenant only.")
    var tenant: String?

    @Flag(name: .long, help: "Queue the documents that are off to be written again (the next `sluice run` or the running watcher does it).")
    var repair = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let tenant = try tenant.map(TenantID.init)
        let runtime = try await store.openExisting()
        let report = try await SinkAudit(store: runtime.store, sink: runtime.sink).run(tenant: tenant, repair: repair)
        if json {
            print(try Terminal.json(report))
        } else {
            print("Checked \(report.documents) documents in \(report.sink): \(report.expectedPoints) points expected, \(report.foundPoints) found.")
            if report.pending > 0 { print("\(report.pending) documents have a change queued; they are written when it is processed.") }
            if report.foreignPoints > 0 { print("\(report.foreignPoints) points are not Sluice's (no tenant and docId in their payload); left alone.") }
            if report.isClean {
                print("No drift.")
            } else {
                print("Drift in \(report.drift.count) documents:")
                for item in report.drift.prefix(50) { print("  \(item.tenant)/\(Terminal.escaped(item.docId)): \(item.summary)") }
                if report.drift.count > 50 { print("  … and \(report.drift.count - 50) more (--json lists them all)") }
                if repair {
                    print("Queued \(report.requeued) documents to be written again; `sluice run` (or the running watcher) writes them.")
                } else {
                    print("Run `sluice verify --repair` to queue them to be written again.")
                }
            }
        }
        if !report.isClean && !repair { throw ExitCode(1) }
    }
}
