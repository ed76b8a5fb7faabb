import Foundation
import SluiceApp
import SluiceBench
import SluiceCore
import SluiceTesting
import Testing

/// One of the seed's failure scenarios: memory pressure from large files.
/// Two tenants drop four 16 MiB Markdown files each among small ones; with
/// SLUICE_MAX_INFLIGHT_BYTES at 32 MiB at most two large files are worked
/// on at once, so `sluice run` stays far below what holding them all costs
/// (about 800 MB with the budget at 256 MiB), indexes every document, and
/// reports no lease lost (a batch finished in parts no longer heartbeats the
/// documents already recorded, which it used to report as lost).
@Suite(.serialized) struct MemoryPressureTests {
    @Test func memoryPressureFromLargeFilesStaysWithinTheBudget() async throws {
        let work = try TemporaryDirectory("sluice-memory-pressure")
        defer { work.remove() }
        var random = SplitMix64(seed: 12)
        let words = ["river", "gate", "ledger", "north", "copper", "signal", "harbor", "quiet", "orbit", "maple"]
        for tenant in ["acme", "globex"] {
            for index in 0..<4 {
                var text = ""
                text.reserveCapacity(16 << 20)
                while text.utf8.count < 16 << 20 {
                    text += "## Section\n\n" + (0..<150).map { _ in words[Int(random.next() % 10)] }.joined(separator: " ") + " item\(index).\n\n"
                }
                try work.write("corpus/\(tenant)/large\(index).md", text)
            }
            for index in 0..<50 { try work.write("corpus/\(tenant)/small\(index).md", "# Small \(index)\n\nwords \(index) of \(tenant)\n") }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["run", work.path + "/corpus", "--data-dir", work.path + "/data", "--quiet", "--json"]
        process.environment = ["SLUICE_MAX_INFLIGHT_BYTES": String(32 << 20)]
        let output = Pipe()
        _ = FileManager.default.createFile(atPath: work.path + "/stderr", contents: nil)
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: work.path + "/stderr")
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        let said = (try? String(contentsOfFile: work.path + "/stderr", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(said)")
        let summary = try JSONDecoder().decode(RunSummary.self, from: data)
        #expect(summary.indexed == 108 && summary.failed == 0, "\(summary)")
        // Debug builds under CI's parallel load peak at about 420 to 480 MB; holding all eight would cost about 800.
        #expect(summary.peakRSSBytes < 520 << 20, "peak RSS \(summary.peakRSSBytes >> 20) MB")
        #expect(!said.contains("leases were lost"), "\(said)")
    }
}
