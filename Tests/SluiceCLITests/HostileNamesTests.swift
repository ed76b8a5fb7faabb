import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// Process-level: names a tenant chose never end `sluice run` for the others,
/// and never reach the terminal as control characters.
@Suite struct HostileNamesTests {
    func runSluice(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashSafetyTests.binary())
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let (status, output) = try await process.exited(reading: pipe)
        return (status, String(decoding: output, as: UTF8.self))
    }

    @Test func badNamesAreProblemsOfTheirTenantAndPrintedEscaped() async throws {
        let work = try TemporaryDirectory("sluice-names")
        defer { work.remove() }
        let corpus = work.path + "/corpus"
        // A docId over 1,024 bytes (six folders of 200 characters), a C1 control, an NFC/NFD pair, an escape sequence.
        let deep = (0..<6).map { String(repeating: Character(String(UnicodeScalar(UInt8(97 + $0)))), count: 200) }.joined(separator: "/")
        try work.write("corpus/acme/\(deep)/deep.md", "# Deep\n\nfar down.\n")
        try work.write("corpus/acme/next\u{85}line.md", "# C1\n\nnext line.\n")
        try work.write("corpus/acme/Caf\u{e9}.md", "# Composed\n\ncomposed.\n")
        try work.write("corpus/acme/Cafe\u{301}.md", "# Decomposed\n\ndecomposed.\n")
        try work.write("corpus/acme/red\u{1b}[31m.md", "# Red\n\nred.\n")
        try work.write("corpus/globex/ok.md", "# Fine\n\nglobex is fine.\n")

        let (status, output) = try await runSluice(["run", corpus, "--data-dir", work.path + "/data", "--quiet"])
        #expect(status == 0, "\(output)")
        #expect(!output.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) }, "no control character reaches the terminal")
        let warnings = output.split(separator: "\n").filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 3, "\(warnings)")
        #expect(warnings.contains { $0.contains("is longer than 1024 bytes") })
        #expect(warnings.contains { $0.contains("next\\u{85}line.md") && $0.contains("C1 control character") })
        #expect(warnings.contains { $0.contains("once normalized (NFC)") })
        // acme's other files and globex's are indexed: Café once, the link-free names, ok.md.
        let (_, search) = try await runSluice(["search", "--data-dir", work.path + "/data", "--tenant", "acme", "red", "-k", "10"])
        #expect(search.contains("red\\u{1B}[31m.md"), "\(search)")
        #expect(!search.unicodeScalars.contains { $0.value == 0x1B })
        let (_, status2) = try await runSluice(["status", "--data-dir", work.path + "/data", "--json"])
        #expect(status2.contains("\"globex\""))
        // The problems are recorded for acme, and shown by `status`, escaped.
        let (_, status3) = try await runSluice(["status", "--data-dir", work.path + "/data", "--tenant", "acme"])
        #expect(status3.contains("Found by the last scan (3):") && status3.contains("acme: ") && status3.contains("next\\u{85}line.md"), "\(status3)")
        #expect(!status3.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) })
        // A run without them clears them.
        try FileManager.default.removeItem(atPath: corpus + "/acme/next\u{85}line.md")
        _ = try await runSluice(["run", corpus, "--data-dir", work.path + "/data", "--quiet"])
        let (_, status4) = try await runSluice(["status", "--data-dir", work.path + "/data", "--tenant", "acme"])
        #expect(status4.contains("Found by the last scan (2):"), "\(status4)")
    }
}
