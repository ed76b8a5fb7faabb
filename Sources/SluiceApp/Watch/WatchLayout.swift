import Foundation
import SluiceCore
import SluiceWatch
import Synchronization

/// Maps paths under a watched root to tenants and document ids, applying the
/// same ignore rules as the scan: the base rules (`--include`, `--exclude`)
/// and each tenant's `.sluiceignore` files, read once and again after one changes.
struct WatchLayout: Sendable {
    /// Canonical path given to `sluice run`.
    let scanRoot: String
    /// Set with `--tenant`: the root is this one tenant's folder.
    let singleTenant: TenantID?
    let rules: IgnoreRules
    private let tenantRules = TenantRulesCache()

    init(scanRoot: String, singleTenant: TenantID?, rules: IgnoreRules) {
        self.scanRoot = scanRoot
        self.singleTenant = singleTenant
        self.rules = rules
    }

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

    /// Each tenant's folders may hold at most `limit` inotify watches (nil:
    /// no limit but the kernel's), and at most half of what the kernel allows
    /// (`kernelLimit`), when the root holds tenants' folders; folders left
    /// unwatched are reported per tenant either way. `--tenant` watches one
    /// tenant, which shares the kernel's watches with nobody here.
    func watchBudget(_ limit: Int?, kernelLimit: Int? = InotifyWatcher.kernelLimit()) -> InotifyWatcher.Budget? {
        guard singleTenant == nil else { return nil }
        let budget = limit.map { limit in min(limit, kernelLimit.map { max(1, $0 / 2) } ?? limit) }
        let setting = budget != limit
            ? "half the kernel's fs.inotify.max_user_watches of \(kernelLimit ?? 0), below SLUICE_TENANT_MAX_WATCHED_FOLDERS"
            : "SLUICE_TENANT_MAX_WATCHED_FOLDERS"
        return InotifyWatcher.Budget(
            limit: budget,
            reason: "this tenant's folder holds more than \(budget ?? 0) folders, the most one tenant may have watched (\(setting)), so that one tenant cannot use up the kernel's inotify watches every tenant shares; its folders past the limit are seen by rescans of its folder, or raise the limit"
        ) { [self] path in tenantRoot(for: path)?.directory }
    }

    /// The path's components relative to its tenant folder.
    func relativeComponents(of path: String, in root: TenantRoot) -> [String] {
        guard path != root.directory else { return [] }
        return path.dropFirst(root.directory.count + 1).split(separator: "/").map(String.init)
    }

    /// The rules in force in a tenant's folder.
    func rules(for root: TenantRoot) -> IgnoreRules {
        tenantRules.rules(for: root, base: rules)
    }

    /// Whose rules change when the file at `path` changes: nil when it is no
    /// `.sluiceignore` that rules apply from, `.everyone` for the root's, or one
    /// tenant. The rules it feeds are read again at their next use.
    func ignoreFileChanged(_ path: String) -> IgnoreFileScope? {
        guard path.hasSuffix("/.sluiceignore") else { return nil }
        let folder = String(path.dropLast("/.sluiceignore".count))
        if folder == scanRoot {
            tenantRules.forgetAll()
            return singleTenant.map { .tenant($0) } ?? .everyone
        }
        guard let root = tenantRoot(for: folder), root.directory == folder else { return nil }
        tenantRules.forget(root.directory)
        return .tenant(root.tenant)
    }

    enum IgnoreFileScope: Equatable {
        case everyone
        case tenant(TenantID)
    }

    /// The document a file path stands for, or nil when the path is ignored.
    func document(at path: String) -> (key: DocumentKey, location: FileLocation)? {
        guard let root = tenantRoot(for: path) else { return nil }
        let components = relativeComponents(of: path, in: root)
        guard !components.isEmpty, !components.contains(where: IgnoreRules.isIgnoredName) else { return nil }
        let rules = rules(for: root)
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

    /// Whether the file at `path`, or a folder on its way below the tenant
    /// folder, has another spelling beside it that is the same docId once
    /// normalized (NFC and NFD). Only a scan of the tenant settles such names:
    /// the first in byte order is the document, the collision a recorded
    /// problem. ASCII names have one spelling: nothing is listed for them.
    /// Each folder is listed once per `listings` (one batch of events): a
    /// flood of events in a folder of many non-ASCII names costs one listing,
    /// not one per event. Blocking (lists folders).
    func hasOtherSpelling(_ path: String, listings: inout [String: [[UInt8]: Set<[UInt8]>]]) -> Bool {
        guard let root = tenantRoot(for: path) else { return false }
        var directory = root.directory
        for component in relativeComponents(of: path, in: root) {
            defer { directory += "/" + component }
            guard component.utf8.contains(where: { $0 >= 0x80 }) else { continue }
            if listings[directory] == nil {
                // The folder's non-ASCII names by normalized form, as bytes: Swift's String
                // equality already treats the two spellings as one.
                var spellings: [[UInt8]: Set<[UInt8]>] = [:]
                for name in (try? FileSystem.listDirectory(directory).names) ?? [] where name.utf8.contains(where: { $0 >= 0x80 }) {
                    spellings[Array(name.precomposedStringWithCanonicalMapping.utf8), default: []].insert(Array(name.utf8))
                }
                listings[directory] = spellings
            }
            let own = Array(component.utf8)
            let normalized = Array(component.precomposedStringWithCanonicalMapping.utf8)
            if listings[directory]?[normalized]?.contains(where: { $0 != own }) == true { return true }
        }
        return false
    }

    /// Whether the watcher should watch a folder.
    func shouldWatch(_ directory: String) -> Bool {
        guard directory != scanRoot else { return true }
        guard let root = tenantRoot(for: directory) else { return false }
        let components = relativeComponents(of: directory, in: root)
        if components.contains(where: IgnoreRules.isIgnoredName) { return false }
        return components.isEmpty || rules(for: root).includesDirectory(components.joined(separator: "/"))
    }
}

/// Each tenant folder's effective ignore rules, read on first use.
final class TenantRulesCache: Sendable {
    private struct State {
        var rules: [String: IgnoreRules] = [:]
        /// Bumped by every forget, so rules read before one are not kept after it.
        var generation = 0
    }

    private let state = Mutex(State())

    func rules(for root: TenantRoot, base: IgnoreRules) -> IgnoreRules {
        let (known, generation) = state.withLock { ($0.rules[root.directory], $0.generation) }
        if let known { return known }
        // Read outside the lock; problems in the file are reported by the rescan its change asks for.
        let read = base.adding(ignoreFilesOf: root).rules
        state.withLock { if $0.generation == generation { $0.rules[root.directory] = read } }
        return read
    }

    func forget(_ directory: String) {
        state.withLock {
            $0.rules.removeValue(forKey: directory)
            $0.generation += 1
        }
    }

    func forgetAll() {
        state.withLock {
            $0.rules.removeAll()
            $0.generation += 1
        }
    }
}
