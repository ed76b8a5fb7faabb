import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// Process-level: a tenant's hostile documents (damaged, encrypted, misnamed,
/// built to hang or exhaust a reader) end as skipped with a reason; the
/// process stays up, stays small, and indexes the good documents of the same
/// batch.
@Suite struct HostileDocumentsTests {
    @Test func hostileDocumentsAreSkippedWithReasonsAndTheRestOfTheBatchIsIndexed() async throws {
        let work = try TemporaryDirectory("sluice-hostile-docs")
        defer { work.remove() }
        let tenant = work.path + "/corpus/acme"
        let hostile = [
            "pdf-truncated", "pdf-encrypted-user", "pdf-scanned", "pdf-loop", "pdf-many-pages", "pdf-slow", "not-a-pdf",
        ]
        try await FormatFixtures.make(hostile + ["pdf-report", "pdf-encrypted-owner"], in: tenant)
        for index in 0..<5 { try work.write("corpus/acme/good\(index).md", "# Good \(index)\n\nMARKER-GOOD-\(index) fine text.\n") }

        // One batch for everything; a deadline the slow PDF passes.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = ["run", work.path + "/corpus", "--data-dir", work.path + "/data", "--json"]
        process.environment = ["SLUICE_BATCH_SIZE": "50", "SLUICE_EXTRACT_TIMEOUT_SECONDS": "1", "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        // The PDF that takes seconds passes the deadline: a dead letter with the reason (retry it after raising
        // the limit); its pdftotext is killed. Every other document is indexed or skipped with a reason.
        #expect(status == 1, "exit 1: one dead letter")
        #expect(summary["failures"] as? [String] == [
            "acme/slow.pdf: reading, extracting and chunking it took longer than 1 s (SLUICE_EXTRACT_TIMEOUT_SECONDS); raise the limit or split the document"
        ], "\(summary)")
        #expect(summary["indexed"] as? Int == 7, "five Markdown files, the report and the owner-password PDF")
        #expect((summary["peakRSSBytes"] as? Int ?? .max) < 512 << 20)

        let statusProcess = Process()
        statusProcess.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        statusProcess.arguments = ["status", "--data-dir", work.path + "/data", "--json"]
        let statusOutput = Pipe()
        statusProcess.standardOutput = statusOutput
        try statusProcess.run()
        let (_, statusData) = try await statusProcess.exited(reading: statusOutput)
        let report = try JSONSerialization.jsonObject(with: statusData) as? [String: Any] ?? [:]
        let skipped = Dictionary(
            uniqueKeysWithValues: (report["skipped"] as? [[String: Any]] ?? []).map { ($0["docId"] as? String ?? "", $0["reason"] as? String ?? "") })
        #expect(skipped["truncated.pdf"]?.hasPrefix("not a readable PDF") == true)
        #expect(skipped["not-a.pdf"]?.hasPrefix("not a readable PDF") == true)
        #expect(skipped["many-pages.pdf"]?.hasPrefix("not a readable PDF") == true)
        #expect(skipped["encrypted-user.pdf"]?.hasPrefix("encrypted") == true)
        #expect(skipped["scanned.pdf"]?.hasPrefix("no text layer (scanned image)") == true)
        #expect(skipped["loop.pdf"] != nil, "the looping page tree has no readable text")
        #expect(skipped.count == 6, "\(skipped)")
        let byReason = report["skippedByReason"] as? [[String: Any]] ?? []
        #expect(byReason.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 6)
        #expect(byReason.contains { $0["count"] as? Int == 2 && ($0["reason"] as? String)?.contains("xref table") == true }, "\(byReason)")
    }
}
