import SluiceCore
import SluiceWatch

/// Maps paths under a watched root to tenants and document ids, applying the
/// same ignore rules as the scan.
struct WatchLayout: Sendable {
    /// Canonical path given to `sluice run`.
    let scanRoot: String
    /// Set with `--tenant`: the root is this one tenant's folder.
    let singleTenant: TenantID?
    let rules: IgnoreRules

    /// The tenant folder a path belongs to, if any.
    func tenantRoot(for path: String) -> TenantRoot? {
        guard FileSystem.isWithin(path, root: scanRoot) else { return nil }
        if let singleTenant {
            return TenantRoot(tenant: singleTenant, directory: scanRoot, scanRoot: scanRoot)
        }
        guard path != scanRoot else { return nil }
        let name = path.dropFirst(scanRoot.count + 1).prefix { $0 != "/" }
        guard !IgnoreRules.isIgnoredName(String(name)), let tenant = try? TenantID(String(name)) else { return nil }
        return TenantRoot(tenant: tenant, directory: scanRoot + "/" + name, scanRoot: scanRoot)
    }

    /// The path's components relative to its tenant folder.
    func relativeComponents(of path: String, in root: TenantRoot) -> [String] {
        guard path != root.directory else { return [] }
        return path.dropFirst(root.directory.count + 1).split(separator: "/").map(String.init)
    }

    /// The document a file path stands for, or nil when the path is ignored.
    func document(at path: String) -> (key: DocumentKey, location: FileLocation)? {
        guard let root = tenantRoot(for: path) else { return nil }
        let components = relativeComponents(of: path, in: root)
        guard !components.isEmpty, !components.contains(where: IgnoreRules.isIgnoredName) else { return nil }
        for depth in 1..<components.count where !rules.includesDirectory(components.prefix(depth).joined(separator: "/")) {
            return nil
        }
        guard rules.includesFile(components.joined(separator: "/")),
            let docId = try? DocumentID(pathComponents: components)
        else { return nil }
        return (
            DocumentKey(tenant: root.tenant, docId: docId),
            FileLocation(scanRoot: scanRoot, tenantDirectory: root.directory, path: path)
        )
    }

    /// Whether the watcher should watch a folder.
    func shouldWatch(_ directory: String) -> Bool {
        guard directory != scanRoot else { return true }
        guard let root = tenantRoot(for: directory) else { return false }
        let components = relativeComponents(of: directory, in: root)
        if components.contains(where: IgnoreRules.isIgnoredName) { return false }
        return components.isEmpty || rules.includesDirectory(components.joined(separator: "/"))
    }
}
