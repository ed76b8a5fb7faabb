import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List documents that failed for good, or queue them again.",
        subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters with their reasons.")

        @Option(name: .long, help: "Only this tenant.")
        var tenant: String?

        @Flag(name: .long, help: "Print as JSON.")
        var json = false

        @OptionGroup var store: StoreOptions

        struct Entry: Codable {
            var tenant: String
            var docId: String
            var attempts: Int
            var reason: String
        }

        func run() async throws {
            let runtime = try store.openExisting()
            let letters = try await runtime.store.deadLetters(tenant: try tenant.map { try TenantID($0) })
            if json {
                print(try Terminal.json(letters.map {
                    Entry(tenant: $0.key.tenant.rawValue, docId: $0.key.docId.rawValue, attempts: $0.attempts, reason: $0.reason)
                }))
                return
            }
            if letters.isEmpty { print("No dead letters.") }
            for letter in letters {
                print("\(letter.key) (\(letter.attempts) attempts): \(letter.reason)")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again with a fresh attempt count; the next `sluice run` processes them.")

        @Option(name: .long, help: "Only this tenant.")
        var tenant: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try store.openExisting()
            let count = try await runtime.store.retryDeadLetters(tenant: try tenant.map { try TenantID($0) })
            print("Queued \(count) dead letters again.")
        }
    }
}
