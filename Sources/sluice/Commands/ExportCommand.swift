import ArgumentParser
import Foundation
import SluiceApp
import SluiceCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every stored chunk as JSON lines (tenant, docId, ordinal, chunkId, text, textHash, contentHash, revision).")

    @Option(name: .long, help: "Only this tenant.")
    var tenant: String?

    @Option(name: [.short, .long], help: "Write to this file instead of stdout.")
    var output: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let tenant = try tenant.map { try TenantID($0) }
        let runtime = try await store.openExisting(sinkRequired: false)
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) , let file = FileHandle(forWritingAtPath: output) else {
                throw SluiceError(.configuration, "cannot write to \(output); check the path and permissions")
            }
            handle = file
        } else {
            handle = FileHandle.standardOutput
        }
        let encoder = JSONEncoder.stable
        var count = 0
        try await runtime.store.exportChunks(tenant: tenant, batchSize: 2000) { chunks in
            var data = Data()
            for chunk in chunks {
                data.append(try encoder.encode(chunk))
                data.append(0x0A)
            }
            handle.write(data)
            count += chunks.count
        }
        if output != nil {
            try handle.close()
            Terminal.note("Exported \(count) chunks to \(output!).")
        }
    }
}
