import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "List tenants, or purge one.",
        subcommands: [List.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants with their document and chunk counts.")

        @Flag(name: .long, help: "Print as JSON.")
        var json = false

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let runtime = try await store.openExisting(sinkRequired: false)
            let tenants = try await runtime.store.tenantSummaries()
            if json {
                print(try Terminal.json(tenants))
                return
            }
            if tenants.isEmpty { print("No tenants yet.") }
            for tenant in tenants {
                print("\(tenant.tenant)\t\(tenant.indexed) documents\t\(tenant.chunks) chunks")
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a tenant's documents, chunks, queue rows and file state.",
            discussion: "The files themselves are not touched; a later `sluice run` over them indexes them again.")

        @Argument(help: "The tenant to purge.")
        var tenant: String

        @Flag(name: .long, help: "Do not ask for confirmation.")
        var yes = false

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let tenant = try TenantID(tenant)
            let runtime = try await store.openExisting()
            let summary = try await runtime.store.tenantSummaries(tenant: tenant).first
            guard let summary else {
                throw SluiceError(.notFound, "there is no tenant \"\(tenant)\"; `sluice tenants list` shows the tenants")
            }
            if !yes {
                guard Terminal.isInteractive else {
                    throw SluiceError(.configuration, "purging \(tenant) needs confirmation; pass --yes to purge without asking")
                }
                guard Terminal.confirm("Purge tenant \(tenant): \(summary.indexed) documents and \(summary.chunks) chunks?") else {
                    Terminal.note("Nothing purged.")
                    throw ExitCode(1)
                }
            }
            let removed = try await runtime.purge(tenant: tenant)
            try await runtime.store.collectUnusedEmbeddings()
            print("Purged \(tenant): \(removed) documents removed.")
        }
    }
}
