import SluiceCore

/// A folder whose files are one tenant's documents.
public struct TenantRoot: Sendable, Equatable {
    public var tenant: TenantID
    /// Canonical absolute path of the tenant's folder.
    public var directory: String
    /// Canonical absolute path given to `sluice run` (equal to `directory` with `--tenant`).
    /// Tombstones for vanished files apply per scan root.
    public var scanRoot: String

    public init(tenant: TenantID, directory: String, scanRoot: String) {
        self.tenant = tenant
        self.directory = directory
        self.scanRoot = scanRoot
    }

    /// The tenant folders under `root`: each top-level folder of `root` is a
    /// tenant, or `root` itself is one when `singleTenant` is given. Entries
    /// that cannot be tenants are returned as problems to report.
    public static func discover(root: String, singleTenant: TenantID?) throws -> (roots: [TenantRoot], problems: [String]) {
        guard let canonical = FileSystem.realPath(root),
            let status = try FileSystem.status(canonical, followLinks: true)
        else {
            throw SluiceError(.configuration, "the folder \(root) does not exist; check the path and run again")
        }
        guard status.type == .directory else {
            throw SluiceError(.configuration, "\(root) is not a folder; give the folder that holds the tenants' folders")
        }
        if let singleTenant {
            return ([TenantRoot(tenant: singleTenant, directory: canonical, scanRoot: canonical)], [])
        }
        var roots: [TenantRoot] = []
        var problems: [String] = []
        let listing = try FileSystem.listDirectory(canonical)
        for name in listing.invalidNames {
            problems.append("folder \"\(name)\" is skipped: its name is not valid UTF-8; rename it")
        }
        for name in listing.names.sorted() where !IgnoreRules.isIgnoredName(name) {
            let path = canonical + "/" + name
            guard let entry = try FileSystem.status(path) else { continue }
            switch entry.type {
            case .directory:
                if let problem = TenantID.problem(with: name) {
                    problems.append("folder \"\(name)\" is skipped: as a tenant name it \(problem); rename it")
                } else {
                    roots.append(TenantRoot(tenant: try TenantID(name), directory: path, scanRoot: canonical))
                }
            case .symlink:
                problems.append("\"\(name)\" is skipped: tenant folders may not be symbolic links")
            default:
                problems.append("\"\(name)\" is skipped: files directly under \(root) belong to no tenant; move it into a tenant folder or use --tenant")
            }
        }
        return (roots, problems)
    }
}
