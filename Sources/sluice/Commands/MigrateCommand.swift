import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the store's schema, or bring it up to date, and exit.",
        discussion: """
            Every command also does this when it opens the store, so running it is optional: use it to \
            migrate a PostgreSQL store (--store, SLUICE_STORE_URL) before rolling out a new Sluice, with \
            a user allowed to create tables. Processes that start together migrate one at a time (an \
            advisory lock), and a schema made by a newer Sluice is refused.
            """)

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = try store.configuration()
        store.bootstrapLogging(configuration)
        print(try await SluiceRuntime.migrate(configuration))
    }
}
