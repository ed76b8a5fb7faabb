import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP ingestion API and the workers until stopped (Ctrl-C or SIGTERM).",
        discussion: """
            JSON under /v1: POST /v1/ingest/preview, /v1/ingest/publish (?wait=SECONDS), \
            /v1/ingest/batch; GET and DELETE /v1/tenants/{tenant}/documents/{docId} (the docId \
            percent-encoded as one path segment); POST /v1/search; GET /healthz and /readyz. \
            To watch a folder as well: sluice run DIR --watch --listen HOST:PORT.
            """)

    @Option(name: .long, help: .setting("SLUICE_LISTEN"))
    var listen: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = try store.configuration([("SLUICE_LISTEN", listen)])
        store.bootstrapLogging(configuration)
        let address = configuration.listen ?? LiveSession.Listen(host: "127.0.0.1", port: 8080)
        let runtime = try await SluiceRuntime.open(configuration: configuration)
        let session = LiveSession(runtime: runtime, watching: nil, listen: address, rescanInterval: nil)
        let reporter = WatchReporter(enabled: true)
        try await session.run(
            onReady: { Terminal.note("Serving the API on \(address.host):\(session.port ?? address.port). Ctrl-C stops.") },
            onActivity: { reporter.show($0) })
    }
}
