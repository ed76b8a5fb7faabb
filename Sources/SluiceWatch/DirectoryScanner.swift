import SluiceCore

/// A file found under a tenant folder.
public struct ScannedFile: Sendable, Equatable {
    public var key: DocumentKey
    /// Absolute on-disk path.
    public var path: String
    /// The file's status (for a symbolic link, the link's own).
    public var stat: FileStat
    /// Set for a symbolic link that leads outside the root: never followed.
    public var outsideLinkTarget: String?
}

/// Walks a tenant folder and reports the files that pass the ignore rules.
///
/// Blocking; run it off the cooperative pool. Symbolic links to files inside
/// the root are followed (the file's status is used); links that lead
/// outside are reported with `outsideLinkTarget` and never read; links to
/// folders are not followed (their targets inside the root are walked
/// anyway). docIds are NFC-normalized relative paths.
public struct DirectoryScanner: Sendable {
    public var rules: IgnoreRules

    public init(rules: IgnoreRules) {
        self.rules = rules
    }

    /// What a walk could not cover.
    public struct Report: Sendable, Equatable {
        /// Things worth telling the user (unreadable folders, names that are not UTF-8).
        public var problems: [String] = []
        /// Folders that could not be listed: their recorded files must not be tombstoned.
        public var unreadableDirectories: [String] = []
    }

    /// Calls `visit` for every file (only those under `subdirectory`, an
    /// absolute path inside the tenant folder, when given).
    public func walk(_ root: TenantRoot, under subdirectory: String? = nil, visit: (ScannedFile) throws -> Void) throws -> Report {
        var rules = self.rules
        var report = Report()
        for ignoreFile in Set([root.scanRoot + "/.sluiceignore", root.directory + "/.sluiceignore"]).sorted() {
            if let contents = try? FileSystem.readFile(ignoreFile) {
                try rules.addIgnoreFile(String(decoding: contents, as: UTF8.self), name: ignoreFile)
            }
        }
        var start: (path: String, relative: [String]) = (root.directory, [])
        if let subdirectory, subdirectory != root.directory {
            guard FileSystem.isWithin(subdirectory, root: root.directory) else { return report }
            let relative = subdirectory.dropFirst(root.directory.count + 1).split(separator: "/").map(String.init)
            guard !relative.contains(where: IgnoreRules.isIgnoredName),
                rules.includesDirectory(relative.joined(separator: "/"))
            else { return report }
            start = (subdirectory, relative)
        }
        var stack = [start]
        while let (directory, relative) = stack.popLast() {
            let listing: (names: [String], invalidNames: [String])
            do {
                listing = try FileSystem.listDirectory(directory)
            } catch let error as SluiceError {
                report.problems.append("folder \(directory) is skipped: \(error.message)")
                report.unreadableDirectories.append(directory)
                continue
            }
            for name in listing.invalidNames {
                report.problems.append("\(directory)/\(name) is skipped: its name is not valid UTF-8; rename it")
            }
            for name in listing.names where !IgnoreRules.isIgnoredName(name) {
                let path = directory + "/" + name
                let components = relative + [name]
                let relativePath = components.joined(separator: "/")
                guard let status = try FileSystem.status(path) else { continue }  // vanished meanwhile
                switch status.type {
                case .directory:
                    if rules.includesDirectory(relativePath) { stack.append((path, components)) }
                case .regular:
                    guard rules.includesFile(relativePath) else { continue }
                    try visit(ScannedFile(key: try key(root, components), path: path, stat: status.stat))
                case .symlink:
                    guard rules.includesFile(relativePath) else { continue }
                    // Dangling links and links to folders are not documents.
                    guard let target = FileSystem.realPath(path), let resolved = try FileSystem.status(target),
                        resolved.type == .regular
                    else { continue }
                    if FileSystem.isWithin(target, root: root.directory) {
                        try visit(ScannedFile(key: try key(root, components), path: path, stat: resolved.stat))
                    } else {
                        try visit(ScannedFile(key: try key(root, components), path: path, stat: status.stat, outsideLinkTarget: target))
                    }
                case .other:
                    continue
                }
            }
        }
        return report
    }

    private func key(_ root: TenantRoot, _ components: [String]) throws -> DocumentKey {
        DocumentKey(tenant: root.tenant, docId: try DocumentID(pathComponents: components))
    }
}
