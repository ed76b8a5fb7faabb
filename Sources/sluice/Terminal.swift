import Foundation

/// Output helpers: results to stdout, messages and progress to stderr.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) == 1

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Confirms a destructive action on an interactive terminal.
    static func confirm(_ question: String) -> Bool {
        guard isatty(STDIN_FILENO) == 1 else { return false }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder.stable.encode(value), as: UTF8.self)
    }

    /// Text a tenant controls (file names, document ids, reasons, chunk
    /// text), made safe to print on one line of a terminal: every control
    /// character (C0 with newline and tab, DEL, C1; an escape sequence
    /// starts with one) is shown as `\u{XX}` instead of acting on the terminal.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    static func grouped(_ value: Int) -> String {
        value.formatted(.number.grouping(.automatic))
    }

    static func duration(_ seconds: Double) -> String {
        if !seconds.isFinite { return "?" }
        if seconds < 60 { return String(format: "%.0fs", seconds.rounded(.up)) }
        let minutes = Int(seconds) / 60
        if minutes < 60 { return "\(minutes)m\(String(format: "%02d", Int(seconds) % 60))s" }
        return "\(minutes / 60)h\(String(format: "%02d", minutes % 60))m"
    }
}
