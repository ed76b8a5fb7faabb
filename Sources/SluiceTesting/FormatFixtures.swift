import Foundation
import SluiceCore

/// Documents made by real producers (reportlab, python-docx, ...) through
/// `Tests/Support/format-fixtures.py`, which lists the names. Needs the
/// packages of `Tests/Support/requirements.txt` (`.ci/run` installs them).
public enum FormatFixtures {
    /// The script, found from this file's place in the repository.
    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Support/format-fixtures.py").path

    /// Writes the named fixtures into `directory`; returns their file names, in order.
    @discardableResult
    public static func make(_ names: [String], in directory: String) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, directory] + names
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        guard status == 0 else {
            throw SluiceError(.configuration, "\(script) failed (exit \(status)); install Tests/Support/requirements.txt (.ci/run does)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
