import Logging
import ServiceLifecycle
import SluiceCore
import Synchronization

/// One of SLUICE_CONCURRENCY workers: leases a batch of documents, prepares
/// them off the cooperative pool under the memory budget, embeds the chunks
/// the cache lacks, writes them to a remote sink (after checking its leases
/// still hold), and completes the batch in one transaction (which also
/// records the chunks, and on the embedded index is the write). A heartbeat
/// renews the leases while the batch is in hand.
struct Worker: Sendable {
    let queue: any JobQueue & QueueRepair
    let documents: any DocumentStateStore
    let cache: any EmbeddingCache
    let publisher: any DocumentPublisher
    let embedder: any Embedder
    let sink: any Sink
    let processor: DocumentProcessor
    let budget: ByteBudget
    /// How much stored content one read fetches ahead (the budget counts each document as it is processed).
    static let storedContentReadBytes = 4 << 20
    let batchSize: Int
    let embedBatchSize: Int
    let leaseDuration: Duration
    let clock: any SluiceClock
    /// Progress, metrics, health and log, told of each outcome.
    let observer: WorkerObserver
    var metrics: SluiceMetrics { observer.metrics }
    var logger: Logger { observer.logger }
    /// Where this worker notes the document it is reading and extracting (its `slot`).
    var inflight: InflightRecord?
    var slot = 0
    /// The most chunks a tenant's documents may hold (SLUICE_TENANT_MAX_CHUNKS); nil: no limit.
    var quota: TenantQuota?
    /// The leases of the batch in hand that the heartbeat renews.
    let working = WorkingLeases()
    /// A batch in hand when the store stopped answering, given back when it answers.
    let stranded = StrandedLeases()

    /// When a worker stops.
    enum Mode: Sendable {
        /// When nothing is pending (the queue holds only dead letters or nothing): `sluice run`.
        case untilIdle
        /// At graceful shutdown or cancellation, sleeping between work until
        /// the next row is ready, also one queued meanwhile (the queue's
        /// `readiness` doorbell); before each batch it gives way to a busy
        /// HTTP intake for up to a second. A batch in hand is finished first.
        case untilShutdown(givingWayTo: IntakePressure?)

        /// A long-running process (watch, serve) waits out a store that does
        /// not answer; `sluice run` stops with the error, for its caller to see.
        var outlivesStoreFailures: Bool {
            if case .untilShutdown = self { true } else { false }
        }
    }

    /// The worker's one loop: lease a batch and process it, or wait for work.
    func run(_ mode: Mode) async throws {
        while !Task.isCancelled {
            if case .untilShutdown(let intake) = mode {
                if Task.isShuttingDownGracefully { return }
                if let intake {
                    // Giving way ends at a graceful shutdown, as waiting for work does.
                    await cancelWhenGracefulShutdown { await intake.giveWay(maxDeferral: .seconds(1)) }
                }
            }
            if try await waitForDestinations() { continue }
            let asked = clock.now()
            do {
                guard try await step(mode) else { return }
                observer.storeOutage.answered(askedAt: asked)
            } catch let error as SluiceError where error.code == .storage && error.isRetryable && mode.outlivesStoreFailures {
                // A store that does not answer (PostgreSQL restarting, a full disk): a long-running
                // process waits, then looks again. A batch in hand is given back first thing then
                // (`stranded`), not left until its leases expire.
                try await clock.sleep(until: clock.now() + observer.storeOutage.failed(error))
            }
        }
    }

    /// Leases a batch and processes it, or waits for work; false when the
    /// worker is done (`untilIdle` and nothing pending).
    private func step(_ mode: Mode) async throws -> Bool {
        let doorbell = queue.readiness
        let ticket = doorbell.ticket()
        try await stranded.giveBack(to: queue)
        let leases = try await queue.lease(limit: batchSize, duration: leaseDuration)
        if !leases.isEmpty {
            do {
                try await process(leases)
            } catch let error as SluiceError where error.code == .storage && error.isRetryable && mode.outlivesStoreFailures {
                stranded.keep(leases)
                throw error
            }
            return true
        }
        let now = clock.now()
        switch mode {
        case .untilIdle:
            guard let wake = try await queue.nextWakeTime() else { return false }
            try await clock.sleep(until: max(now + .milliseconds(20), min(wake, now + .milliseconds(100))))
        case .untilShutdown:
            let wake = try await queue.nextWakeTime() ?? now + .seconds(5)
            let deadline = min(max(wake, now + .milliseconds(1)), now + .seconds(5))
            await withGracefulShutdownHandler {
                await doorbell.wait(until: deadline, clock: clock, since: ticket)
            } onGracefulShutdown: {
                doorbell.ring()
            }
        }
        return true
    }

    /// While a remote service this worker needs is not taking requests (its
    /// breaker is open, or it asked to wait), waits up to a second and says so:
    /// nothing is leased meanwhile, so the work stays queued and spends no attempt.
    private func waitForDestinations() async throws -> Bool {
        let blocked = [embedder.deliveryGate, sink.deliveryGate].compactMap { $0?.blockedUntil() }
        guard let until = blocked.max() else { return false }
        try await clock.sleep(until: min(until, clock.now() + .seconds(1)))
        return true
    }

    /// Processes one leased batch.
    func process(_ leases: [Lease]) async throws {
        let states = try await documents.documentStates(leases.map(\.key))
        working.begin(leases)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await heartbeat(working) }
            var prepared: [WorkItem] = []
            // What this batch holds of the memory budget, given back however the batch ends.
            var heldBytes = 0
            defer { budget.release(heldBytes) }
            // Content published over the API, read a few MiB at a time rather than one read per document.
            let storedRefs = leases.compactMap { lease -> ContentRef? in
                guard case .api = lease.origin, lease.kind == .upsert, let hash = lease.contentHash else { return nil }
                return ContentRef(key: lease.key, hash: hash)
            }
            var stored: [ContentRef: [UInt8]?] = [:]
            // The files' sizes, for the budget: one trip off the cooperative pool for the batch.
            let processor = self.processor
            let fileEstimates = try await BlockingIO.run { leases.map(processor.memoryEstimate) }
            for (lease, fileEstimate) in zip(leases, fileEstimates) {
                var storedContent: [UInt8]?
                if case .api = lease.origin, lease.kind == .upsert, let hash = lease.contentHash {
                    let ref = ContentRef(key: lease.key, hash: hash)
                    if stored[ref] == nil, let start = storedRefs.firstIndex(of: ref) {
                        stored = try await publisher.contents(Array(storedRefs[start...]), byteLimit: Worker.storedContentReadBytes)
                    }
                    storedContent = stored[ref] ?? nil
                }
                let content = storedContent
                let estimate = if case .api = lease.origin { content?.count ?? 0 } else { fileEstimate }
                // Never wait for memory while holding some: flush first, so workers cannot deadlock.
                if !budget.tryAcquire(estimate) {
                    if !prepared.isEmpty {
                        try await finish(prepared, states: states)
                        prepared.removeAll()
                        budget.release(heldBytes)
                        heldBytes = 0
                    }
                    await budget.acquire(estimate)
                }
                heldBytes += estimate
                let state = states[lease.key]
                do {
                    inflight?.mark(slot, lease.token)
                    defer { inflight?.clear(slot) }
                    let limit = processor.extractTimeout
                    let (result, file) = try await BlockingIO.run(
                        within: limit,
                        orThrow: SluiceError(
                            .extraction,
                            "reading, extracting and chunking it took longer than \(limit.seconds.formatted()) s (SLUICE_EXTRACT_TIMEOUT_SECONDS); raise the limit or split the document")
                    ) {
                        try processor.prepare(lease, indexed: state, storedContent: content)
                    }
                    prepared.append(WorkItem(lease: lease, prepared: result, file: file))
                } catch {
                    try await fail(lease, error)
                }
            }
            try await finish(prepared, states: states)
            group.cancelAll()
        }
    }

    /// Embeds what the cache lacks, writes to a remote sink, and completes the documents.
    private func finish(_ prepared: [WorkItem], states: [DocumentKey: DocumentState]) async throws {
        guard !prepared.isEmpty else { return }
        let prepared = try await withinQuota(prepared, states: states)
        var texts: [ContentHash: String] = [:]
        for item in prepared {
            guard case .chunked(_, _, let chunks, _, _) = item.prepared else { continue }
            for chunk in chunks { texts[chunk.textHash] = chunk.text }
        }
        let embedded = try await ChunkEmbedding(
            embedder: embedder, cache: cache, batchSize: embedBatchSize, needsCachedVectors: sink.isRemote, metrics: metrics
        ).vectors(for: texts)
        if !texts.isEmpty { observer.chunks(embedded: embedded.vectors.count, reused: embedded.reused) }
        let (vectors, cachedVectors, embedError) = (embedded.vectors, embedded.cachedVectors, embedded.error)
        var completions: [Completion] = []
        // What a sink that takes content gets, by lease token.
        var contents: [String: (text: String, mimeType: String)] = [:]
        for item in prepared {
            let (lease, result, file) = (item.lease, item.prepared, item.file)
            switch result {
            case .postponed(let time):
                try await postpone(lease, until: time)
            case .finished(let result):
                completions.append(Completion(lease: lease, result: result, file: file))
            case .content(let hash, let text, let mimeType, let settings):
                contents[lease.token] = (text, mimeType)
                completions.append(Completion(lease: lease, result: .indexed(IndexedDocument(
                    contentHash: hash, title: nil, chunks: [], modelKey: embedder.modelKey,
                    dimension: embedder.dimension, settingsFingerprint: settings)), file: file))
            case .chunked(let hash, let title, let chunks, let settings, let notes):
                if let delivery = embedError as? DeliveryError, delivery.isDestinationWide {
                    // The service's trouble, not the document's: back to the queue, no attempt spent.
                    try await postpone(lease, until: clock.now() + (delivery.retryAfter ?? .seconds(1)))
                    continue
                }
                if let embedError {
                    try await fail(lease, embedError)
                    continue
                }
                let indexed = chunks.map { chunk in
                    var chunk = chunk
                    chunk.vector = vectors[chunk.textHash]
                    return chunk
                }
                completions.append(Completion(lease: lease, result: .indexed(IndexedDocument(
                    contentHash: hash, title: title, chunks: indexed, modelKey: embedder.modelKey,
                    dimension: embedder.dimension, settingsFingerprint: settings, notes: notes)), file: file))
            }
        }
        if sink.isRemote {
            let delivered = try await SinkDelivery(
                sink: sink, queue: queue, documents: documents, leaseDuration: leaseDuration, clock: clock, metrics: metrics, logger: logger
            ).deliver(completions, states: states, cachedVectors: cachedVectors, contents: contents)
            for (lease, time) in delivered.postponed { try await postpone(lease, until: time) }
            for (lease, error) in delivered.failed { try await fail(lease, error, code: .delivery) }
            completions = delivered.confirmed
        }
        working.done(completions.map(\.lease.token))
        let outcomes = try await queue.complete(completions)
        var rewrite: [DocumentKey] = []
        for (completion, outcome) in zip(completions, outcomes) {
            switch outcome {
            case .applied, .appliedNewerPending, .stale:
                observer.completed(completion)
            case .leaseLost:
                observer.leaseLost(completion.lease.key)
                if sink.isRemote { rewrite.append(completion.lease.key) }
            }
        }
        if !rewrite.isEmpty {
            // This worker's write may have landed after a newer one: queue the document to be written again.
            try await queue.requeueForRewrite(rewrite, extent: [:], priority: .high)
        }
    }

    /// The documents that would take their tenant past the quota skipped
    /// instead, before anything is spent on embedding them.
    private func withinQuota(_ prepared: [WorkItem], states: [DocumentKey: DocumentState]) async throws -> [WorkItem] {
        guard let quota else { return prepared }
        // Each chunked document, by tenant, in order: where it is, its content, its chunks recorded and now.
        var chunked: [TenantID: [(index: Int, hash: ContentHash, size: (before: Int, after: Int))]] = [:]
        for (index, item) in prepared.enumerated() {
            guard case .chunked(let hash, _, let chunks, _, _) = item.prepared else { continue }
            let before = states[item.lease.key]?.chunkCount ?? 0
            chunked[item.lease.key.tenant, default: []].append((index, hash, (before, chunks.count)))
        }
        guard !chunked.isEmpty else { return prepared }
        let held = try await documents.chunkCounts(Set(chunked.keys))
        var items = prepared
        for (tenant, documents) in chunked {
            for (document, fits) in zip(documents, quota.admit(held: held[tenant] ?? 0, documents.map(\.size))) where !fits {
                items[document.index].prepared = .finished(.skipped(contentHash: document.hash, reason: quota.reason))
            }
        }
        return items
    }

    /// Back to the queue until `time`, no attempt spent.
    private func postpone(_ lease: Lease, until time: Timestamp) async throws {
        working.done([lease.token])
        try await queue.postpone(lease, until: time)
    }

    private func fail(_ lease: Lease, _ error: any Error, code: SluiceError.Code = .embedding) async throws {
        working.done([lease.token])
        let failure: SluiceError
        if let error = error as? SluiceError {
            failure = error
        } else if let delivery = error as? DeliveryError {
            // The service's own words, when it gave any, are the most useful part of a dead letter.
            var converted = SluiceError(
                code, delivery.message + (delivery.response.map { ": \($0)" } ?? ""), isRetryable: delivery.isRetryable)
            converted.retryAfter = delivery.retryAfter
            failure = converted
        } else {
            failure = SluiceError(.internal, "unexpected error: \(error)", isRetryable: true, underlying: nil)
        }
        observer.failed(lease, failure, try await queue.fail(lease, error: failure))
    }

    static func outcome(of result: DocumentResult) -> RunProgress.Outcome {
        switch result {
        case .indexed: .indexed
        case .unchanged: .unchanged
        case .deleted: .deleted
        case .skipped(_, let reason): .skipped(reason: reason)
        }
    }
}
