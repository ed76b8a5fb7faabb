import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCore

/// Exit codes: 0 success, 1 some documents failed (dead letters) or a
/// runtime failure, 2 a usage or configuration error.
@main
struct Main {
    static func main() async {
        do {
            var command = try Sluice.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as SluiceError {
            Terminal.error(error.message)
            exit(Main.exitCode(for: error))
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Sluice.exitCode(for: error)
            if code == .success {
                Sluice.exit(withError: error)
            }
            // Usage errors from the argument parser, which say "Error:" themselves.
            FileHandle.standardError.write(Data((Sluice.fullMessage(for: error) + "\n").utf8))
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    static func exitCode(for error: SluiceError) -> Int32 {
        switch error.code {
        case .configuration, .invalidInput, .locked, .notFound: 2
        default: 1
        }
    }
}

struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Keeps a vector index in step with folders of documents, one folder per tenant.",
        discussion: """
            Start with `sluice run DIR`: each top-level folder of DIR is a tenant. Then \
            `sluice search --tenant NAME "question"` and `sluice status`.
            """,
        version: SluiceVersion.current,
        subcommands: [
            RunCommand.self, ServeCommand.self, SearchCommand.self, KeysCommand.self, StatusCommand.self, TenantsCommand.self, ExportCommand.self,
            DeadLettersCommand.self, VerifyCommand.self, MigrateCommand.self, BenchCommand.self,
        ])
}
