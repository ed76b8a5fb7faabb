import Foundation
import SluiceCore
import SluiceWatch
import Synchronization

/// The reconciliation scan: brings the queue in step with the files under a
/// root. New and changed files are queued, vanished ones tombstoned, and
/// unchanged ones (same nanosecond mtime, ctime, size and inode, and not
/// racy) are not even read.
public struct Reconciler: Sendable {
    public struct Result: Sendable, Equatable {
        public var filesSeen = 0
        public var unchanged = 0
        public var queued = 0
        public var tombstoned = 0
        /// What the scan could not cover, per tenant; also recorded in the store.
        public var problems: [ScanProblem] = []
    }

    let store: any FileStateStore
    let scanner: DirectoryScanner
    let clock: any SluiceClock
    let priority: Priority
    /// Scan results applied per transaction.
    let batchSize = 1000

    public init(store: any FileStateStore, scanner: DirectoryScanner, clock: any SluiceClock, priority: Priority = .low) {
        self.store = store
        self.scanner = scanner
        self.clock = clock
        self.priority = priority
    }

    /// Scans `roots` (all under one scan root) and applies what changed. The
    /// problems found replace those recorded for these tenants, and for the
    /// root itself when `rootProblems` (what discovering the tenants found) is given.
    /// Files recorded under the scan root but not seen are tombstoned: those of
    /// every tenant (a tenant folder that went away), or with `tenantsOnly`,
    /// only those of the tenants in `roots`.
    public func reconcile(
        _ roots: [TenantRoot], scanRoot: String, rootProblems: [String]? = nil, tenantsOnly: Bool = false
    ) async throws -> Result {
        var result = Result()
        result.problems = (rootProblems ?? []).map { ScanProblem(tenant: nil, message: $0) }
        // The walks of the first folders and the read of what was recorded go on together.
        async let recordedRead = Handover(try await store.recordedFiles(root: scanRoot))
        var walks = FolderWalks(roots, scanner: scanner, width: Reconciler.walkWidth)
        defer { walks.cancel() }
        let handover = try await recordedRead
        // Out of the result before it is changed, so that nothing else holds the dictionaries.
        var (recorded, queued) = { let known = handover.take(); return (known.states, known.queued) }()
        if tenantsOnly {
            let tenants = Set(roots.map(\.tenant))
            recorded = recorded.filter { tenants.contains($0.key.tenant) }
            queued = queued.filter { tenants.contains($0.key.tenant) }
        }
        // Files whose mtime is at or after this instant are "racy" next time and get hashed.
        let scanStart = clock.now().milliseconds * 1_000_000
        var pending = ScanBatch()
        var unreadable: [String] = []
        func applyIfFull() async throws {
            guard pending.changes.count + pending.fileStates.count >= batchSize else { return }
            try await store.applyScan(pending)
            pending = ScanBatch()
        }
        for root in roots {
            let (files, report) = try await walks.next()
            result.problems += report.problems.map { ScanProblem(tenant: root.tenant.rawValue, message: $0) }
            unreadable += report.unreadableDirectories
            result.filesSeen += files.count
            // Hash only what may have changed, off the cooperative pool, a slice at a time. A file
            // neither recorded nor queued is queued unread, as the watcher queues one: its worker reads
            // and hashes it anyway, and records its state (hashing it here too cost a cold onboarding a
            // tenth). A queued one is hashed: the same version queued again keeps its row's lease
            // expiries (a document that kills the process as it is read must still become a dead letter).
            func queue(_ file: ScannedFile, contentHash: ContentHash?) {
                pending.changes.append(Change(
                    key: file.key, kind: .upsert, origin: .file(FileLocation(scanRoot: scanRoot, tenantDirectory: root.directory, path: file.path)),
                    contentHash: contentHash, priority: priority))
                result.queued += 1
            }
            var candidates: [(file: ScannedFile, prior: FileState?)] = []
            for file in files {
                let wasQueued = queued.removeValue(forKey: file.key) != nil
                let prior = recorded.removeValue(forKey: file.key)
                if prior == nil, !wasQueued {
                    queue(file, contentHash: nil)
                    try await applyIfFull()
                    continue
                }
                if let prior, prior.path == file.path, prior.tenantDirectory == root.directory,
                    prior.isUnchanged(comparedTo: file.stat)
                {
                    result.unchanged += 1
                } else {
                    candidates.append((file, prior))
                }
            }
            for slice in candidates.chunks(of: batchSize) {
                let hashed = try await BlockingIO.run { Reconciler.hash(slice.map(\.file), beneath: root.directory) }
                for ((file, prior), hash) in zip(slice, hashed) {
                    guard let hash else {
                        // Vanished between the walk and the read: a later scan or the worker settles it.
                        continue
                    }
                    let state = FileState(
                        key: file.key, root: scanRoot, tenantDirectory: root.directory, path: file.path, stat: file.stat,
                        contentHash: hash.hash, recordedAtNanos: scanStart)
                    if hash.readable { pending.fileStates.append(state) }
                    if let prior, prior.contentHash == hash.hash, hash.readable {
                        result.unchanged += 1
                        continue
                    }
                    queue(file, contentHash: hash.readable ? hash.hash : nil)
                }
                try await applyIfFull()
            }
        }
        // What is left was recorded or queued under this root but not seen now:
        // tombstone it, unless it lies in a folder that could not be read this time.
        // (A queued upsert may be in a worker's hands, its file read before it
        // went away; the tombstone then waits behind it.)
        let vanished = recorded.mapValues { FileLocation(scanRoot: scanRoot, tenantDirectory: $0.tenantDirectory, path: $0.path) }
            .merging(queued) { recordedLocation, _ in recordedLocation }
        for (key, location) in vanished.sorted(by: { $0.key < $1.key }) {
            if unreadable.contains(where: { FileSystem.isWithin(location.path, root: $0) }) { continue }
            pending.removedFiles.append(key)
            pending.changes.append(Change(key: key, kind: .delete, origin: .file(location), priority: priority))
            result.tombstoned += 1
            if pending.changes.count >= batchSize {
                try await store.applyScan(pending)
                pending = ScanBatch()
            }
        }
        try await store.applyScan(pending)
        try await store.replaceProblems(result.problems, of: roots.map(\.tenant), includingRoot: rootProblems != nil)
        return result
    }

    /// Tenant folders walked at once: as many as there are cores (a walk is
    /// mostly the kernel's work, a `stat` a file), a few ahead of their use so
    /// that only their files are held at once.
    static let walkWidth = max(1, ProcessInfo.processInfo.activeProcessorCount)

    struct Hashed: Sendable {
        var hash: ContentHash
        /// False when the file could not be read (it is queued anyway, so the
        /// worker records why it fails, but its state is not recorded).
        var readable: Bool
    }

    /// Hashes files, each opened beneath its tenant folder; nil for a file
    /// that vanished. A symbolic link is never read: its "content" is the
    /// fact that it is one (the worker records it as skipped).
    static func hash(_ files: [ScannedFile], beneath tenantDirectory: String) -> [Hashed?] {
        var buffer: [UInt8] = []
        return files.map { file in
            do {
                switch try FileSystem.openFile(file.path, beneath: tenantDirectory) {
                case .opened(let opened):
                    return Hashed(hash: try opened.hash(buffer: &buffer), readable: true)
                case .symbolicLink:
                    return Hashed(hash: symbolicLinkHash, readable: true)
                case .missing, .notRegularFile:
                    return nil
                }
            } catch {
                return Hashed(hash: ContentHash.of("unreadable:" + file.path), readable: false)
            }
        }
    }

    /// What a symbolic link's state records as its content.
    static let symbolicLinkHash = ContentHash.of("symlink")
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// Walks tenant folders off the cooperative pool, `width` ahead of their
/// use, and hands them out in their order: the next folder's walk starts as
/// soon as one is taken, so the cores stay busy with folders of any sizes.
struct FolderWalks {
    typealias Walked = (files: [ScannedFile], report: DirectoryScanner.Report)
    private let roots: [TenantRoot]
    private let scanner: DirectoryScanner
    private var started = 0
    private var running: [Task<Walked, any Error>] = []

    init(_ roots: [TenantRoot], scanner: DirectoryScanner, width: Int) {
        self.roots = roots
        self.scanner = scanner
        for _ in 0..<min(width, roots.count) { startNext() }
    }

    private mutating func startNext() {
        guard started < roots.count else { return }
        let (root, scanner) = (roots[started], scanner)
        started += 1
        running.append(Task {
            try await BlockingIO.run {
                var files: [ScannedFile] = []
                let report = scanner.walk(root) { files.append($0) }
                return (files, report)
            }
        })
    }

    /// The next folder's files and report, in the order of the roots.
    mutating func next() async throws -> Walked {
        let walk = running.removeFirst()
        startNext()
        return try await walk.value
    }

    /// Stops waiting for walks not taken (a walk under way runs to its end).
    func cancel() {
        for walk in running { walk.cancel() }
    }
}

/// A value handed over once, out of an `async let`: a dictionary read from
/// one stays shared with it, and is copied whole on its first change.
final class Handover<Value: Sendable>: Sendable {
    private let value: Mutex<Value?>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func take() -> Value {
        value.withLock { value in
            defer { value = nil }
            return value!
        }
    }
}
