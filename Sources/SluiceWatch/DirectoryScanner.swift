import SluiceCore

/// A file found under a tenant folder.
public struct ScannedFile: Sendable, Equatable {
    public var key: DocumentKey
    /// Absolute on-disk path.
    public var path: String
    /// The file's status (for a symbolic link, the link's own).
    public var stat: FileStat
    /// A symbolic link: never followed, recorded as skipped.
    public var isSymbolicLink = false
}

/// Walks a tenant folder and reports the files that pass the ignore rules.
///
/// Blocking; run it off the cooperative pool. Every folder is opened beneath
/// the tenant folder without following links (`FileSystem.listDirectory(_:beneath:)`),
/// so a folder swapped for a link meanwhile is reported, never entered.
/// Symbolic links are reported as such and never followed, to files or to
/// folders. docIds are NFC-normalized relative paths.
public struct DirectoryScanner: Sendable {
    public var rules: IgnoreRules

    public init(rules: IgnoreRules) {
        self.rules = rules
    }

    /// What a walk could not cover.
    public struct Report: Sendable, Equatable {
        /// Things worth telling the user (unreadable folders, names that are
        /// not UTF-8 or not document ids, ignore lines left out).
        public var problems: [String] = []
        /// Folders that could not be listed: their recorded files must not be tombstoned.
        public var unreadableDirectories: [String] = []
    }

    /// Calls `visit` for every file (only those under `subdirectory`, an
    /// absolute path inside the tenant folder, when given). An entry that
    /// cannot be a document is a problem in the report, never a thrown error:
    /// only `visit` throws.
    public func walk(_ root: TenantRoot, under subdirectory: String? = nil, visit: (ScannedFile) throws -> Void) rethrows -> Report {
        let (rules, ignoreProblems) = self.rules.adding(ignoreFilesOf: root)
        var report = Report(problems: ignoreProblems)
        var start: (path: String, relative: [String]) = (root.directory, [])
        if let subdirectory, subdirectory != root.directory {
            guard FileSystem.isWithin(subdirectory, root: root.directory) else { return report }
            let relative = subdirectory.dropFirst(root.directory.count + 1).split(separator: "/").map(String.init)
            guard !relative.contains(where: IgnoreRules.isIgnoredName),
                rules.includesDirectory(relative.joined(separator: "/"))
            else { return report }
            start = (subdirectory, relative)
        }
        // Two names that normalize to one docId (NFC and NFD spellings) are a
        // collision: the first in name order is the document, the other a problem.
        var seen: [DocumentID: String] = [:]
        var stack = [start]
        while let (directory, relative) = stack.popLast() {
            let listing: (entries: [(name: String, status: FileSystem.Status?)], invalidNames: [String])
            do {
                listing = try FileSystem.listDirectory(directory, beneath: root.directory)
            } catch {
                report.problems.append("folder \(directory) is skipped: \(SluiceError.describe(error))")
                report.unreadableDirectories.append(directory)
                continue
            }
            for name in listing.invalidNames {
                report.problems.append("\(directory)/\(name) is skipped: its name is not valid UTF-8; rename it")
            }
            // In byte order, so which of two colliding names wins does not depend on the listing.
            let entries = listing.entries.sorted { $0.name.precedesInByteOrder($1.name) }
            // Pushed in reverse, so folders are walked in name order too.
            var folders: [(String, [String])] = []
            defer { stack += folders.reversed() }
            for (name, status) in entries where !IgnoreRules.isIgnoredName(name) {
                guard let status else { continue }  // vanished meanwhile
                let path = directory + "/" + name
                let components = relative + [name]
                let relativePath = components.joined(separator: "/")
                switch status.type {
                case .directory:
                    if rules.includesDirectory(relativePath) { folders.append((path, components)) }
                case .regular, .symlink:
                    guard rules.includesFile(relativePath) else { continue }
                    let docId: DocumentID
                    do {
                        docId = try DocumentID(pathComponents: components)
                    } catch {
                        report.problems.append("\(path) is skipped: \(SluiceError.describe(error)); rename it")
                        continue
                    }
                    if let first = seen[docId] {
                        report.problems.append(
                            "\(path) is skipped: its name and that of \(first) are one document id (\"\(docId)\") once normalized (NFC); rename one of them")
                        continue
                    }
                    seen[docId] = path
                    try visit(ScannedFile(
                        key: DocumentKey(tenant: root.tenant, docId: docId), path: path, stat: status.stat,
                        isSymbolicLink: status.type == .symlink))
                case .other:
                    continue
                }
            }
        }
        return report
    }
}
