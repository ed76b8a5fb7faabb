import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Documents that failed for good (dead letters): list, show, queue again, or drop.",
        discussion: """
            A dead letter's id is TENANT:DOCID, as `sluice dlq list` prints it. A document \
            fails for good after SLUICE_MAX_RETRIES attempts, or at once when the error cannot \
            go away by retrying (a service rejected the request); the reason keeps the \
            service's answer.
            """,
        subcommands: [List.self, Show.self, Retry.self, Drop.self],
        aliases: ["dead-letters"])

    /// Either one dead letter by id, or all (of a tenant); says so when neither is given.
    struct Selection: ParsableArguments {
        @Argument(help: "The dead letter's id, TENANT:DOCID.")
        var id: String?

        @Option(name: .long, help: "All dead letters of this tenant.")
        var tenant: String?

        @Flag(name: .long, help: "All dead letters.")
        var all = false

        func validate() throws {
            let chosen = [id != nil, tenant != nil, all].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("give one dead letter's id, or --tenant NAME, or --all") }
        }

        func resolve() throws -> (tenant: TenantID?, key: DocumentKey?) {
            (try tenant.map { try TenantID($0) }, try id.map { try DocumentKey(deadLetterID: $0) })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters with their reasons.")

        @Option(name: .long, help: "Only this tenant.")
        var tenant: String?

        @Flag(name: .long, help: "Print as JSON.")
        var json = false

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try await store.openExisting(sinkRequired: false)
            let letters = try await runtime.store.deadLetters(tenant: try tenant.map { try TenantID($0) })
            if json {
                print(try Terminal.json(letters))
                return
            }
            if letters.isEmpty { print("No dead letters.") }
            for letter in letters {
                print("\(Terminal.escaped(letter.key.deadLetterID)) (\(letter.attempts) attempts): \(Terminal.escaped(String(letter.reason.prefix(200))))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything known about one dead letter, with the full reason.")

        @Argument(help: "The dead letter's id, TENANT:DOCID.")
        var id: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let key = try DocumentKey(deadLetterID: id)
            let runtime = try await store.openExisting(sinkRequired: false)
            guard let letter = try await runtime.store.deadLetters(tenant: key.tenant).first(where: { $0.key == key }) else {
                throw SluiceError(.notFound, "\(id) is not a dead letter; `sluice dlq list` shows them")
            }
            print(try Terminal.json(letter))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again with a fresh attempt count; a running server or the next `sluice run` processes them.")

        @OptionGroup var selection: Selection
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (tenant, key) = try selection.resolve()
            let runtime = try await store.openExisting(sinkRequired: false)
            let count = try await runtime.store.retryDeadLetters(tenant: tenant, key: key)
            print("Queued \(count) dead letter\(count == 1 ? "" : "s") again.")
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on dead letters: the failed changes go, the documents keep what is indexed.")

        @OptionGroup var selection: Selection
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (tenant, key) = try selection.resolve()
            let runtime = try await store.openExisting(sinkRequired: false)
            let count = try await runtime.store.dropDeadLetters(tenant: tenant, key: key)
            print("Dropped \(count) dead letter\(count == 1 ? "" : "s").")
        }
    }
}
