import Foundation
import Logging
import SluiceConnectors
import SluiceCore
import SluiceWatch

/// `sluice run DIR`: scan, queue, process until the queue is empty, summarize.
public struct Runner: Sendable {
    public struct Options: Sendable {
        public var root: String
        /// Makes `root` a single tenant instead of a folder of tenant folders.
        public var singleTenant: TenantID?

        public init(root: String, singleTenant: TenantID? = nil) {
            self.root = root
            self.singleTenant = singleTenant
        }
    }

    let runtime: SluiceRuntime

    public init(runtime: SluiceRuntime) {
        self.runtime = runtime
    }

    /// Runs once. `onProgress` is called about every `progressInterval` while
    /// the workers run, and once at the end.
    public func run(
        _ options: Options, progressInterval: Duration = .milliseconds(500),
        onProgress: @escaping @Sendable (RunProgress.Snapshot) -> Void = { _ in }
    ) async throws -> RunSummary {
        let started = ContinuousClock.now
        var summary = RunSummary()

        let (process, reindexed) = try await becomeWorkerProcess(root: options.root)
        do {
            summary.reindexedForSettings = reindexed
            try await run(options, into: &summary, progressInterval: progressInterval, onProgress: onProgress)
            await process.end()
        } catch {
            await process.end()
            throw error
        }
        summary.wallSeconds = (ContinuousClock.now - started).seconds
        summary.peakRSSBytes = ProcessStats.peakResidentBytes()
        return summary
    }

    /// The run itself, once this is a worker process.
    private func run(
        _ options: Options, into summary: inout RunSummary, progressInterval: Duration,
        onProgress: @escaping @Sendable (RunProgress.Snapshot) -> Void
    ) async throws {
        let store = runtime.store

        let (roots, problems) = try await BlockingIO.run { [options] in
            try TenantRoot.discover(root: options.root, singleTenant: options.singleTenant)
        }
        summary.tenants = roots.map(\.tenant.rawValue)
        let scanRoot = roots.first?.scanRoot ?? FileSystem.realPath(options.root) ?? options.root
        let reconciler = Reconciler(
            store: store, scanner: DirectoryScanner(rules: try rules()), clock: runtime.clock, priority: .low)
        let scan = try await reconciler.reconcile(
            roots, scanRoot: scanRoot, rootProblems: options.singleTenant == nil ? problems : nil)
        summary.problems = scan.problems.map(\.description)
        summary.filesScanned = scan.filesSeen
        let progress = RunProgress()
        let tenants = Set(roots.map(\.tenant))
        for tenant in try await store.tenantSummaries() {
            guard let id = try? TenantID(tenant.tenant), tenants.contains(id) || tenant.pending > 0 else { continue }
            progress.setTotal(tenant.pending, for: id)
        }

        try await process(progress: progress, interval: progressInterval, onProgress: onProgress)
        let snapshot = progress.snapshot()
        // Only documents indexed, deleted or skipped replace chunks: a run that did none of them (a no-op
        // re-sync) leaves no vector unused, and collecting would read every chunk's vector for nothing.
        if snapshot.tenants.values.contains(where: { $0.indexed + $0.deleted + $0.skipped > 0 }) {
            try await store.collectUnusedEmbeddings()
        }
        try await store.checkpoint()

        for counts in snapshot.tenants.values {
            summary.indexed += counts.indexed
            summary.unchanged += counts.unchanged
            summary.deleted += counts.deleted
            summary.skipped += counts.skipped
        }
        summary.unchanged += scan.unchanged
        summary.skipReasons = progress.skipReasons
        summary.chunksEmbedded = snapshot.chunksEmbedded
        summary.chunksReused = snapshot.chunksReused
        let deadLetters = try await store.deadLetters(tenant: nil).filter { tenants.contains($0.key.tenant) }
        summary.failed = deadLetters.count
        summary.failures = deadLetters.prefix(20).map { "\($0.key): \($0.reason)" }
    }

    /// Runs the workers until the queue has nothing pending, reporting progress meanwhile.
    func process(
        progress: RunProgress, interval: Duration, onProgress: @escaping @Sendable (RunProgress.Snapshot) -> Void
    ) async throws {
        let workers = makeWorkers(progress: progress)
        let clock = runtime.clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    do { try await clock.sleep(until: clock.now() + interval) } catch { return }
                    onProgress(progress.snapshot())
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { workerGroup in
                for worker in workers {
                    workerGroup.addTask { try await worker.run(.untilIdle) }
                }
                try await workerGroup.waitForAll()
            }
            group.cancelAll()
        }
        onProgress(progress.snapshot())
    }

    /// The workers, sharing `budget` (SLUICE_MAX_INFLIGHT_BYTES) with whatever else holds bytes.
    func makeWorkers(progress: RunProgress, budget: ByteBudget? = nil) -> [Worker] {
        let configuration = runtime.configuration
        let processor = DocumentProcessor(
            extractors: runtime.extractors, chunker: runtime.chunker, maxFileBytes: configuration.maxFileBytes,
            extractTimeout: configuration.extractTimeout, maxTextBytes: configuration.maxTextBytes,
            settingsFingerprint: runtime.settingsFingerprint, clock: runtime.clock,
            stabilityWindow: configuration.settleWindow, deliversContent: runtime.sink.needs == .content,
            metrics: runtime.metrics)
        let budget = budget ?? ByteBudget(capacity: configuration.maxInflightBytes)
        // Without it (it could not be opened) a crash blames every lease of a batch, as before it existed.
        let inflight = try? runtime.inflight()
        return (0..<configuration.concurrency).map { slot in
            Worker(
                queue: runtime.store, documents: runtime.store, cache: runtime.store, publisher: runtime.store,
                embedder: runtime.embedder, sink: runtime.sink,
                processor: processor,
                budget: budget, batchSize: configuration.batchSize, embedBatchSize: configuration.embedBatchSize,
                leaseDuration: configuration.leaseDuration, clock: runtime.clock,
                observer: WorkerObserver(
                    progress: progress, metrics: runtime.metrics, health: runtime.health, logger: runtime.logger, clock: runtime.clock,
                    storeOutage: runtime.storeOutage),
                inflight: inflight, slot: slot, quota: configuration.tenantMaxChunks.map(TenantQuota.init(maxChunks:)))
        }
    }

    /// What every process that runs workers does first: refuse a data directory
    /// inside the root, take the worker lock and join the store's process group
    /// (`WorkerProcess`), release leases a dead process left, and re-index what
    /// other embedder or chunker settings produced. Returns what to hold while
    /// working (`end()` it when done) and how many documents were requeued.
    func becomeWorkerProcess(root: String?) async throws -> (WorkerProcess, Int) {
        let configuration = runtime.configuration
        if let root { try DataDirectory.checkOutside(configuration.absoluteDataDirectory, root: root) }
        let process = try await WorkerProcess.begin(runtime)
        do {
            let inflight = try runtime.inflight()
            let abandoned = try await runtime.store.releaseAbandonedLeases(blaming: inflight.marked())
            inflight.clearAll()
            if abandoned > 0 {
                runtime.logger.notice("released \(abandoned) leases left by a process that stopped mid-work; those documents will be processed again")
            }
            let reindexed = try await reconcileSettings()
            try await requeueNewlySupportedTypes()
            try await requeueSkippedForQuota()
            return (process, reindexed)
        } catch {
            await process.end()
            throw error
        }
    }

    /// When the embedder, chunker or an extractor changed, re-indexes what
    /// they produced (and finishes a re-index an earlier run left half done).
    /// Once every document of other settings has been queued for these, the
    /// next starts with the same settings skip the search for them (a read of
    /// every document, a tenth of a no-op re-sync): a document is indexed
    /// with other settings only by a process that has them, and that process
    /// records them here first.
    func reconcileSettings() async throws -> Int {
        let store = runtime.store
        let current = runtime.settingsFingerprint
        let previous = try await store.metaValue("settings")
        let deliversContent = runtime.sink.needs == .content
        let accepted = Set(runtime.extractors.fingerprints.map {
            DocumentProcessor.fingerprint(current, extractor: $0, deliversContent: deliversContent)
        })
        let queuedFor = accepted.sorted().joined(separator: " ")
        guard try await store.metaValue("requeued-for") != queuedFor || previous != current else { return 0 }
        let requeued = try await store.requeueDocuments(notMatching: accepted, priority: .low)
        if requeued > 0 {
            runtime.logger.notice(
                "embedder, chunking or extractor settings changed (\(previous ?? "unknown") -> \(current)): re-indexing \(requeued) documents so vectors of two models or versions are never mixed")
        }
        if previous != current { try await store.setMetaValue("settings", current) }
        try await store.setMetaValue("requeued-for", queuedFor)
        return requeued
    }

    /// When this version reads types the last one did not, queues the files
    /// skipped as of those types. Only when the set changed: a tenant with a
    /// million images costs nothing at each start.
    func requeueNewlySupportedTypes() async throws {
        let store = runtime.store
        let supported = runtime.extractors.supportedExtensions
        let current = supported.joined(separator: ",")
        let previous = try await store.metaValue("supported-types")
        guard previous != current else { return }
        let before = Set(previous?.split(separator: ",").map(String.init) ?? [])
        let added = Set(supported).subtracting(before)
        let queued = try await store.requeueSkippedFiles(
            reasonPrefix: ExtractorRegistry.unsupportedReasonPrefix, extensions: added, priority: .low)
        if queued > 0 {
            runtime.logger.notice("queued \(queued) files skipped before as of an unsupported type, which this version reads")
        }
        try await store.setMetaValue("supported-types", current)
    }

    /// Queues the files skipped for the tenant quota, to see whether they
    /// fit now (documents deleted meanwhile, the limit raised): at each start
    /// while a quota is set, and once when it is lifted.
    func requeueSkippedForQuota() async throws {
        let store = runtime.store
        let limit = runtime.configuration.tenantMaxChunks
        let current = limit.map(String.init) ?? "none"
        let previous = try await store.metaValue("tenant-max-chunks")
        guard limit != nil || (previous ?? current) != current else { return }
        let queued = try await store.requeueSkippedFiles(reasonPrefix: TenantQuota.reasonPrefix, extensions: nil, priority: .low)
        if queued > 0 {
            runtime.logger.notice("queued \(queued) files skipped before for the tenant quota (SLUICE_TENANT_MAX_CHUNKS), to see whether they fit now")
        }
        if previous != current { try await store.setMetaValue("tenant-max-chunks", current) }
    }

    func rules() throws -> IgnoreRules {
        IgnoreRules(
            include: try runtime.configuration.include.map(GlobPattern.init),
            exclude: try runtime.configuration.exclude.map(GlobPattern.init))
    }
}
