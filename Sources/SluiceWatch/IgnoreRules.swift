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

    /// Largest `.sluiceignore` read, and most patterns taken from one: what a
    /// tenant writes there is matched against every path of its scans.
    public static let maximumIgnoreFileBytes = 64 * 1024
    public static let maximumPatternsPerFile = 1000

    /// Adds the patterns of a `.sluiceignore` file: one per line, `#` starts a
    /// comment. A line that is not a pattern is left out and returned as a
    /// problem; the others apply.
    @discardableResult
    public mutating func addIgnoreFile(_ contents: String, name: String) -> [String] {
        var problems: [String] = []
        var added = 0
        for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard added < IgnoreRules.maximumPatternsPerFile else {
                problems.append("\(name): only the first \(IgnoreRules.maximumPatternsPerFile) patterns apply; the lines from \(number + 1) on are left out")
                break
            }
            if trimmed.hasPrefix("!") {
                problems.append("\(name) line \(number + 1): negated patterns are not supported, so it is left out; use --include instead")
                continue
            }
            do {
                exclude.append(try GlobPattern(trimmed))
                added += 1
            } catch let error as SluiceError {
                problems.append("\(name) line \(number + 1) is left out: \(error.message)")
            } catch {
                problems.append("\(name) line \(number + 1) is left out: \(error)")
            }
        }
        return problems
    }

    /// These rules with the `.sluiceignore` files of `root` added (the scan
    /// root's, then the tenant folder's). Each is read only if it is a small
    /// regular file beneath its folder; anything else is a problem, not a failure.
    public func adding(ignoreFilesOf root: TenantRoot) -> (rules: IgnoreRules, problems: [String]) {
        var rules = self
        var problems: [String] = []
        for folder in Set([root.scanRoot, root.directory]).sorted() {
            let path = folder + "/.sluiceignore"
            do {
                guard let contents = try FileSystem.readSmallFile(path, beneath: folder, limit: IgnoreRules.maximumIgnoreFileBytes)
                else { continue }
                problems += rules.addIgnoreFile(String(decoding: contents, as: UTF8.self), name: path)
            } catch let error as SluiceError {
                problems.append("\(path) is not applied: \(error.message)")
            } catch {
                problems.append("\(path) is not applied: \(error)")
            }
        }
        return (rules, problems)
    }
}
