import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Show the chunks of one tenant closest to a query.")

    @Option(name: .long, help: "The tenant to search (searches never cross tenants).")
    var tenant: String

    @Argument(help: "What to look for.")
    var query: String

    @Option(name: .short, help: "How many chunks to show.")
    var k = 5

    @Flag(name: .long, help: "Print results as JSON.")
    var json = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard k >= 1 && k <= 1000 else { throw ValidationError("-k must be from 1 to 1000") }
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the query is empty; say what to look for")
        }
    }

    func run() async throws {
        let tenant = try TenantID(tenant)
        // One query in this process: scanning the file once costs less than building vectors to keep.
        let runtime = try await store.openExisting { $0.searchMemoryBytes = 0 }
        let hits = try await runtime.search(tenant: tenant, query: query, k: k)
        if json {
            print(try Terminal.json(hits))
            return
        }
        if hits.isEmpty {
            let known = try await runtime.store.tenantSummaries().map(\.tenant)
            if !known.contains(tenant.rawValue) {
                throw SluiceError(.notFound, "tenant \"\(tenant)\" has no documents; known tenants: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
            }
            print("No matching chunks in \(tenant).")
            return
        }
        for (rank, hit) in hits.enumerated() {
            let places = hit.location.places.isEmpty ? "" : ", " + Terminal.escaped(hit.location.placesText)
            print(String(format: "%2d. %.3f  %@  (chunk %d%@)", rank + 1, hit.score, Terminal.escaped(hit.docId), hit.ordinal, places))
            if !hit.location.headingPath.isEmpty { print("    " + Terminal.escaped(hit.location.headingPathText)) }
            print("    " + SearchCommand.snippet(hit.text))
        }
    }

    static func snippet(_ text: String, limit: Int = 200) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return Terminal.escaped(flat.count > limit ? String(flat.prefix(limit)) + "…" : flat)
    }
}
