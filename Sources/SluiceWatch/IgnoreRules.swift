import SluiceCore

/// Decides which files under a tenant folder are considered at all.
///
/// Always ignored: hidden files and folders (a name starting with `.`, which
/// includes `.sluiceignore` itself and editors' `.#lock` files) and editors'
/// temporary files (`*.swp`, `*.swo`, `*~`, `*.tmp`, `*.part`,
/// `*.crdownload`, `#autosave#`). Then `--exclude` and `.sluiceignore`
/// patterns remove files and whole folders, and when `--include` patterns are
/// given a file must match one of them.
public struct IgnoreRules: Sendable, Equatable {
    public var include: [GlobPattern]
    public var exclude: [GlobPattern]

    public init(include: [GlobPattern] = [], exclude: [GlobPattern] = []) {
        self.include = include
        self.exclude = exclude
    }

    static let temporarySuffixes = [".swp", ".swo", ".swx", "~", ".tmp", ".temp", ".part", ".crdownload", ".download"]

    /// Whether a file or folder name is hidden or an editor's temporary file.
    public static func isIgnoredName(_ name: String) -> Bool {
        if name.hasPrefix(".") { return true }
        if name.hasPrefix("#") && name.hasSuffix("#") { return true }
        let lower = name.lowercased()
        return temporarySuffixes.contains { lower.hasSuffix($0) }
    }

    /// Whether to descend into the folder at `relativePath`.
    public func includesDirectory(_ relativePath: String) -> Bool {
        !exclude.contains { $0.matches(relativePath, isDirectory: true) }
    }

    /// Whether the file at `relativePath` is considered.
    public func includesFile(_ relativePath: String) -> Bool {
        if exclude.contains(where: { $0.matches(relativePath, isDirectory: false) }) { return false }
        if include.isEmpty { return true }
        return include.contains { $0.matches(relativePath, isDirectory: false) }
    }

    /// Adds the patterns of a `.sluiceignore` file: one per line, `#` starts a comment.
    public mutating func addIgnoreFile(_ contents: String, name: String) throws {
        for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("!") {
                throw SluiceError(
                    .configuration, "\(name) line \(number + 1): negated patterns (\"\(trimmed)\") are not supported; use --include instead")
            }
            do {
                exclude.append(try GlobPattern(trimmed))
            } catch let error as SluiceError {
                throw SluiceError(.configuration, "\(name) line \(number + 1): \(error.message)")
            }
        }
    }
}
