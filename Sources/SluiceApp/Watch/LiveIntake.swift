import Logging
import SluiceCore
import SluiceWatch
import Synchronization

/// Turns watcher events into durable queue changes, one transaction per
/// kernel read (the store then rings the workers' doorbell).
///
/// Live edits enter at high priority. While a tenant's folder is busy (a
/// burst or a flood), its changes get the longer settle window, and files
/// Sluice has never seen enter at normal priority, so a person's edit to a
/// known document still jumps ahead of a 10,000-file copy. Busy is counted per
/// tenant: one tenant's bulk copy leaves the others' edits their short window.
/// A document changed again soon after its last change (`RepeatedChanges`)
/// gets the longer window too, so a file rewritten without pause is processed
/// a couple of times a second, not after every write. A folder that appears is
/// scanned; one that goes away tombstones every document under it; an
/// overflow of the kernel queue asks for a full rescan.
final class LiveIntake: Sendable {
    let store: any FileStateStore & DocumentStateStore
    let metrics: SluiceMetrics
    let layout: WatchLayout
    let scanner: DirectoryScanner
    let clock: any SluiceClock
    let rescans: RescanRequests
    let logger: Logger
    /// Events per tenant over the last second; a tenant with none is dropped.
    private let activity = Mutex<[TenantID: ActivityMeter]>([:])
    private let repeated: Mutex<RepeatedChanges>
    private let counters = Mutex(Counters())

    struct Counters: Sendable, Equatable {
        var events = 0
        var overflows = 0
        var changesQueued = 0
        /// Whose folders could not all be watched (past the tenant's budget or the
        /// kernel's limit): rescans must cover them.
        var unwatched = RescanRequests.Scope()
    }

    init(
        store: any FileStateStore & DocumentStateStore, layout: WatchLayout, settle: SettlePolicy, clock: any SluiceClock,
        rescans: RescanRequests, logger: Logger, metrics: SluiceMetrics = .disabled
    ) {
        self.repeated = Mutex(RepeatedChanges(settle: settle))
        self.metrics = metrics
        self.store = store
        self.layout = layout
        self.scanner = DirectoryScanner(rules: layout.rules)
        self.clock = clock
        self.rescans = rescans
        self.logger = logger
    }

    var statistics: Counters { counters.withLock { $0 } }

    /// Consumes `events` until the source finishes or the task is cancelled.
    /// Whatever piled up during one transaction is applied in the next. A
    /// batch that cannot be applied (whatever a tenant put in its folder, or
    /// a store that refused the write) is logged and left to a rescan, which
    /// reads the files again: the intake never stops for one batch.
    func run(_ events: EventBuffer) async {
        while let batch = await events.next() {
            do {
                try await handle(batch)
            } catch {
                if Task.isCancelled { return }
                logger.error("could not apply \(batch.count) file events (\(SluiceError.describe(error))); rescanning to catch up")
                rescans.everything()
            }
        }
    }

    /// Applies one batch of events.
    func handle(_ batch: [WatchEvent]) async throws {
        let now = clock.now()
        let busy = busyTenants(after: batch, at: now)
        // One blocking hop for every path whose type decides what a change means.
        let paths = batch.compactMap { event -> String? in
            switch event {
            case .changed(let path), .moved(_, let path, false): path
            default: nil
            }
        }
        // Names with non-ASCII letters may have a second spelling beside them (NFC and NFD).
        let unusual = batch.flatMap(\.paths).filter { $0.utf8.contains { $0 >= 0x80 } }
        let layout = self.layout
        let (types, contested) = try await BlockingIO.run {
            (
                Dictionary(paths.map { path in (path, (try? FileSystem.status(path))??.type) }, uniquingKeysWith: { $1 }),
                {
                    var listings: [String: [[UInt8]: Set<[UInt8]>]] = [:]
                    return Set(unusual.filter { layout.hasOtherSpelling($0, listings: &listings) })
                }()
            )
        }
        var pending = ScanBatch()
        var ignoreFilesChanged = false
        for event in batch {
            for path in event.paths {
                switch layout.ignoreFileChanged(path) {
                case nil: continue
                case .everyone: rescans.everything()
                case .tenant(let tenant): rescans.tenant(tenant)
                }
                ignoreFilesChanged = true
            }
            if event.paths.contains(where: contested.contains) {
                // Two spellings of one document: a scan of the tenant settles it, as it would at start.
                for path in event.paths { if let root = layout.tenantRoot(for: path) { rescans.tenant(root.tenant) } }
                continue
            }
            switch event {
            case .changed(let path):
                try await changed(path, type: types[path] ?? nil, into: &pending)
            case .removed(let path):
                removed(path, into: &pending)
            case .moved(let from, let to, let isDirectory):
                if isDirectory {
                    try await folderGone(from, into: &pending)
                    try await folderAppeared(to, into: &pending)
                } else {
                    removed(from, into: &pending)
                    try await changed(to, type: types[to] ?? nil, into: &pending)
                }
            case .movedOut(let path, let isDirectory):
                if isDirectory { try await folderGone(path, into: &pending) } else { removed(path, into: &pending) }
            case .directoryAppeared(let path):
                try await folderAppeared(path, into: &pending)
            case .directoryRemoved(let path):
                try await folderGone(path, into: &pending)
            case .overflow:
                counters.withLock { $0.overflows += 1 }
                logger.warning("the kernel's inotify queue overflowed and events were lost; rescanning \(layout.scanRoot)")
                rescans.everything()
            case .rootGone(let path):
                logger.error("the watched folder \(path) was deleted, moved or unmounted; its documents stay indexed until it is back and rescanned")
            case .unwatched(let path, let reason):
                // A folder in no tenant's folder (the root's own) leaves everything to rescans.
                let tenant = layout.tenantRoot(for: path)?.tenant
                counters.withLock { counters in
                    if let tenant { counters.unwatched.tenants.insert(tenant) } else { counters.unwatched.everything = true }
                }
                rescans.doorbell.ring()  // the rescan service plans its next wake with them
                logger.warning("cannot watch \(path): \(reason); rescanning \(tenant.map { "tenant \($0)" } ?? "every tenant") every minute instead")
            }
        }
        metrics.watchEvents(batch.count)
        if ignoreFilesChanged {
            // Documents the new rules exclude are tombstoned, and those they let in are queued, by a scan of their tenant.
            logger.notice("a .sluiceignore changed; rescanning to apply it")
        }
        guard !pending.changes.isEmpty else { return }
        pending.changes = LiveIntake.lastChangePerDocument(pending.changes)
        repeated.withLock { repeated in
            for index in pending.changes.indices where repeated.record(pending.changes[index].key, at: now) {
                pending.changes[index].activity = .busy
            }
        }
        try await prioritize(&pending, busy: busy)
        let outcomes = try await store.applyScan(pending)
        for case .coalesced in outcomes { metrics.superseded() }
        counters.withLock {
            $0.events += batch.count
            $0.changesQueued += pending.changes.count
        }
    }

    private func changed(_ path: String, type: FileSystem.EntryType?, into pending: inout ScanBatch) async throws {
        guard let (key, location) = layout.document(at: path) else { return }
        switch type {
        case nil:
            pending.removedFiles.append(key)
            pending.changes.append(Change(key: key, kind: .delete, origin: .file(location), priority: .high))
        case .directory:
            try await folderAppeared(path, into: &pending)
        case .regular, .symlink:
            pending.changes.append(Change(key: key, kind: .upsert, origin: .file(location), priority: .high))
        case .other:
            return
        }
    }

    private func removed(_ path: String, into pending: inout ScanBatch) {
        guard let (key, location) = layout.document(at: path) else { return }
        pending.removedFiles.append(key)
        pending.changes.append(Change(key: key, kind: .delete, origin: .file(location), priority: .high))
    }

    /// Queues every file under a folder that appeared (created, moved in or renamed).
    private func folderAppeared(_ path: String, into pending: inout ScanBatch) async throws {
        if layout.singleTenant == nil && path.dropFirst(layout.scanRoot.count + 1).contains("/") == false {
            logger.notice("new tenant folder \(path)")
        }
        guard let root = layout.tenantRoot(for: path) else { return }
        let scanner = self.scanner
        let files = try await BlockingIO.run {
            var files: [ScannedFile] = []
            _ = scanner.walk(root, under: path) { files.append($0) }
            return files
        }
        for file in files {
            let location = FileLocation(scanRoot: layout.scanRoot, tenantDirectory: root.directory, path: file.path)
            pending.changes.append(Change(key: file.key, kind: .upsert, origin: .file(location), priority: .high))
        }
    }

    /// Tombstones every file-backed document under a folder that went away.
    private func folderGone(_ path: String, into pending: inout ScanBatch) async throws {
        guard let root = layout.tenantRoot(for: path) else { return }
        let folder = layout.relativeComponents(of: path, in: root).joined(separator: "/")
        for key in try await store.fileDocuments(tenant: root.tenant, under: folder) {
            let location = FileLocation(
                scanRoot: layout.scanRoot, tenantDirectory: root.directory, path: root.directory + "/" + key.docId.rawValue)
            pending.removedFiles.append(key)
            pending.changes.append(Change(key: key, kind: .delete, origin: .file(location), priority: .high))
        }
    }

    /// Keeps only the last change to each document (a create and a close of
    /// one file in one batch are one change), in the order of those last changes.
    static func lastChangePerDocument(_ changes: [Change]) -> [Change] {
        var lastIndex: [DocumentKey: Int] = [:]
        for (index, change) in changes.enumerated() { lastIndex[change.key] = index }
        return changes.enumerated().filter { lastIndex[$0.element.key] == $0.offset }.map(\.element)
    }

    /// Counts each event for the tenant whose folder it is in (a move, where it
    /// went); returns the tenants busy now.
    private func busyTenants(after batch: [WatchEvent], at now: Timestamp) -> Set<TenantID> {
        var counts: [TenantID: Int] = [:]
        for event in batch {
            if let tenant = event.paths.last.flatMap({ layout.tenantRoot(for: $0)?.tenant }) { counts[tenant, default: 0] += 1 }
        }
        return activity.withLock { meters in
            for (tenant, count) in counts { meters[tenant, default: ActivityMeter()].record(count, at: now) }
            // One pass: a tenant quiet for a second is dropped, and each rate is counted once.
            var busy: Set<TenantID> = []
            for (tenant, meter) in meters {
                let rate = meter.rate(at: now)
                if rate == 0 { meters[tenant] = nil } else if rate > meter.busyThreshold { busy.insert(tenant) }
            }
            return busy
        }
    }

    /// For the busy tenants' changes: the longer settle window, and normal
    /// priority for files that have no document yet (bulk arrivals), so edits stay fast.
    private func prioritize(_ pending: inout ScanBatch, busy: Set<TenantID>) async throws {
        let indices = pending.changes.indices.filter { busy.contains(pending.changes[$0].key.tenant) }
        guard !indices.isEmpty else { return }
        let known = try await store.documentStates(indices.map { pending.changes[$0].key })
        for index in indices {
            pending.changes[index].activity = .busy
            if known[pending.changes[index].key] == nil { pending.changes[index].priority = .normal }
        }
    }
}
