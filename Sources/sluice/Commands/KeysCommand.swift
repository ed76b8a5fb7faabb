import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        discussion: """
            A tenant key reaches only its tenant; an admin key reaches all. Keys are shown once and \
            stored as SHA-256 hashes. Once a key exists, every API request but /healthz, /readyz and \
            /openapi.json needs one; a revoked key stops working at once, also on a running server.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")

        @Option(name: .long, help: "The tenant the key reaches.")
        var tenant: String?

        @Flag(name: .long, help: "An admin key, reaching every tenant.")
        var admin = false

        @Option(name: .long, help: "A note to tell keys apart in `keys list`.")
        var label: String?

        @OptionGroup var store: StoreOptions

        func validate() throws {
            if (tenant == nil) == !admin { throw ValidationError("give either --tenant NAME or --admin") }
        }

        func run() async throws {
            let tenant = try tenant.map { try TenantID($0) }
            let configuration = try store.configuration()
            store.bootstrapLogging(configuration)
            let runtime = try await SluiceRuntime.open(configuration: configuration, sinkRequired: false)
            let (record, secret) = try await runtime.store.createKey(tenant: tenant, label: label)
            print(secret)
            Terminal.note("Created \(record.id) (\(record.tenant.map { "tenant \($0)" } ?? "admin")). The key is shown only now; send it as Authorization: Bearer <key>.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @Flag(name: .long, help: "Print as JSON.")
        var json = false

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try await store.openExisting(sinkRequired: false)
            let keys = try await runtime.store.keys()
            if json {
                print(try Terminal.json(keys))
                return
            }
            if keys.isEmpty { print("No API keys: the API serves loopback clients only, without a key.") }
            for key in keys {
                let scope = key.tenant.map { "tenant \($0)" } ?? "admin"
                let state = key.revokedAt.map { "revoked \($0.iso8601)" } ?? "active"
                print("\(key.id)\t\(scope)\t\(state)\tcreated \(key.createdAt.iso8601)\(key.label.map { "\t\($0)" } ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; it stops working at once.")

        @Argument(help: "The key's id (key_...), as `keys list` shows it.")
        var id: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try await store.openExisting(sinkRequired: false)
            guard try await runtime.store.revokeKey(id: id) else {
                throw SluiceError(.notFound, "there is no active key \(id); `sluice keys list` shows the keys")
            }
            print("Revoked \(id).")
        }
    }
}
