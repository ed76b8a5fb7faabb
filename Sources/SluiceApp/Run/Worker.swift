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
    let queue: any JobQueue
    let index: any IndexStore
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
    let progress: RunProgress
    let metrics: SluiceMetrics
    /// Counts every attempt's end, for the error rate.
    let health: HealthMonitor
    let logger: Logger
    /// Where this worker notes the document it is reading and extracting (its `slot`).
    var inflight: InflightRecord?
    var slot = 0
    /// The leases of the batch in hand that the heartbeat renews.
    let working = WorkingLeases()

    /// Processes until nothing is pending (the queue holds only dead letters or nothing).
    func runUntilIdle() async throws {
        while !Task.isCancelled {
            if try await waitForDestinations() { continue }
            let leases = try await queue.lease(limit: batchSize, duration: leaseDuration)
            if leases.isEmpty {
                guard let wake = try await queue.nextWakeTime() else { return }
                let now = clock.now()
                try await clock.sleep(until: max(now + .milliseconds(20), min(wake, now + .milliseconds(100))))
                continue
            }
            try await process(leases)
        }
    }

    /// Processes until graceful shutdown or cancellation, sleeping between
    /// work until the next row is ready, also one queued meanwhile (the
    /// queue's `readiness` doorbell). A batch in hand is finished before stopping.
    /// Before each batch it gives way to a busy HTTP intake for up to a second.
    func runUntilShutdown(givingWayTo intake: IntakePressure? = nil) async throws {
        let doorbell = queue.readiness
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await intake?.giveWay(maxDeferral: .seconds(1))
            if try await waitForDestinations() { continue }
            let ticket = doorbell.ticket()
            let leases = try await queue.lease(limit: batchSize, duration: leaseDuration)
            if leases.isEmpty {
                let now = clock.now()
                let wake = try await queue.nextWakeTime() ?? now + .seconds(5)
                let deadline = min(max(wake, now + .milliseconds(1)), now + .seconds(5))
                await withGracefulShutdownHandler {
                    await doorbell.wait(until: deadline, clock: clock, since: ticket)
                } onGracefulShutdown: {
                    doorbell.ring()
                }
                continue
            }
            try await process(leases)
        }
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
        let states = try await index.documentStates(leases.map(\.key))
        working.begin(leases)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await heartbeat(working) }
            var prepared: [(Lease, DocumentProcessor.Prepared, FileRecord?)] = []
            // What this batch holds of the memory budget, given back however the batch ends.
            var heldBytes = 0
            defer { budget.release(heldBytes) }
            // Content published over the API, read a few MiB at a time rather than one read per document.
            let storedRefs = leases.compactMap { lease -> ContentRef? in
                guard case .api = lease.origin, lease.kind == .upsert, let hash = lease.contentHash else { return nil }
                return ContentRef(key: lease.key, hash: hash)
            }
            var stored: [ContentRef: [UInt8]?] = [:]
            for lease in leases {
                let processor = self.processor
                var storedContent: [UInt8]?
                if case .api = lease.origin, lease.kind == .upsert, let hash = lease.contentHash {
                    let ref = ContentRef(key: lease.key, hash: hash)
                    if stored[ref] == nil, let start = storedRefs.firstIndex(of: ref) {
                        stored = try await publisher.contents(Array(storedRefs[start...]), byteLimit: Worker.storedContentReadBytes)
                    }
                    storedContent = stored[ref] ?? nil
                }
                let content = storedContent
                let estimate = if case .api = lease.origin {
                    content?.count ?? 0
                } else {
                    try await BlockingIO.run { processor.memoryEstimate(lease) }
                }
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
                    prepared.append((lease, result, file))
                } catch {
                    try await fail(lease, error)
                }
            }
            try await finish(prepared, states: states)
            group.cancelAll()
        }
    }

    /// Embeds what the cache lacks, writes to a remote sink, and completes the documents.
    private func finish(_ prepared: [(Lease, DocumentProcessor.Prepared, FileRecord?)], states: [DocumentKey: DocumentState]) async throws {
        guard !prepared.isEmpty else { return }
        var texts: [ContentHash: String] = [:]
        for case (_, .chunked(_, _, let chunks, _, _), _) in prepared {
            for chunk in chunks { texts[chunk.textHash] = chunk.text }
        }
        var vectors: [ContentHash: [Float]] = [:]
        // A remote sink needs every chunk's vector; the embedded index refers to cached ones by id.
        var cachedVectors: [ContentHash: [Float]] = [:]
        var embedError: (any Error)?
        var reused = 0
        if !texts.isEmpty {
            let cached: Set<ContentHash>
            if sink.isRemote {
                cachedVectors = try await index.embeddings(modelKey: embedder.modelKey, textHashes: Array(texts.keys))
                cached = Set(cachedVectors.keys)
            } else {
                cached = try await index.cachedEmbeddings(modelKey: embedder.modelKey, textHashes: Array(texts.keys))
            }
            reused = cached.count
            let missing = Array(texts.filter { !cached.contains($0.key) })
            let embedding = ContinuousClock.now
            defer { if !missing.isEmpty { metrics.stage("embed", ContinuousClock.now - embedding) } }
            do {
                for batch in missing.chunks(of: embedBatchSize) {
                    let result = try await embedder.embed(batch.map(\.value))
                    guard result.count == batch.count, result.allSatisfy({ $0.count == embedder.dimension }) else {
                        throw SluiceError(.embedding, "the embedder returned \(result.count) vectors for \(batch.count) texts, or vectors of the wrong dimension (expected \(embedder.dimension))")
                    }
                    for (entry, vector) in zip(batch, result) { vectors[entry.key] = vector }
                }
            } catch {
                embedError = error
            }
            progress.recordChunks(embedded: vectors.count, reused: reused)
            metrics.chunks(embedded: vectors.count, reused: reused)
        }
        var completions: [Completion] = []
        // What a sink that takes content gets, by lease token.
        var contents: [String: (text: String, mimeType: String)] = [:]
        for (lease, result, file) in prepared {
            switch result {
            case .postponed(let time):
                try await postpone(lease, until: time)
            case .finished(let result):
                completions.append(Completion(lease: lease, result: result, file: file))
            case .content(let hash, let text, let mimeType):
                contents[lease.token] = (text, mimeType)
                completions.append(Completion(lease: lease, result: .indexed(IndexedDocument(
                    contentHash: hash, title: nil, chunks: [], modelKey: embedder.modelKey,
                    dimension: embedder.dimension, settingsFingerprint: processor.settingsFingerprint)), file: file))
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
            completions = try await deliver(completions, states: states, cachedVectors: cachedVectors, contents: contents)
        }
        working.done(completions.map(\.lease.token))
        let outcomes = try await queue.complete(completions)
        var rewrite: [DocumentKey] = []
        for (completion, outcome) in zip(completions, outcomes) {
            switch outcome {
            case .applied, .appliedNewerPending, .stale:
                let outcome = Worker.outcome(of: completion.result)
                progress.record(outcome, for: completion.lease.key)
                metrics.processed(tenant: completion.lease.key.tenant.rawValue, outcome: outcome.name)
                health.recordAttempt(failed: false, at: clock.now())
                switch outcome {
                case .indexed, .deleted: metrics.changeToIndexed(clock.now() - completion.lease.enqueuedAt)
                case .unchanged, .skipped, .failed: break
                }
            case .leaseLost:
                logger.warning("lease lost before completion; the document stays queued", metadata: ["doc": "\(completion.lease.key)"])
                if sink.isRemote { rewrite.append(completion.lease.key) }
            }
        }
        if !rewrite.isEmpty {
            // This worker's write may have landed after a newer one: queue the document to be written again.
            try await index.requeueForRewrite(rewrite, extent: [:], priority: .high)
        }
    }

    /// Writes the documents of `completions` to the remote sink and returns
    /// those it confirmed (and those with nothing to write), to be recorded.
    /// Right before the write, the leases are checked: a document whose
    /// lease was lost is not written, as another worker has it now.
    private func deliver(
        _ completions: [Completion], states: [DocumentKey: DocumentState], cachedVectors: [ContentHash: [Float]],
        contents: [String: (text: String, mimeType: String)]
    ) async throws -> [Completion] {
        var ready: [Completion] = []
        var writes: [(Completion, SinkOperation)] = []
        // Before writing, the store records how far each document's points may reach once
        // this write is done (it may fail part-way, or land and not be recorded), and reads
        // how far earlier such writes may have left them: this write clears up to there.
        var growing: [DocumentKey: Int] = [:]
        for completion in completions {
            if case .indexed(let document) = completion.result, document.chunks.count > states[completion.lease.key]?.chunkCount ?? 0 {
                growing[completion.lease.key] = document.chunks.count
            }
        }
        let extents = try await index.raiseSinkExtents(growing, reading: completions.map(\.lease.key))
        for var completion in completions {
            let lease = completion.lease
            let previous = max(states[lease.key]?.chunkCount ?? 0, extents[lease.key] ?? 0)
            switch completion.result {
            case .indexed(let document):
                let chunks = document.chunks.map { chunk in
                    var chunk = chunk
                    if chunk.vector == nil { chunk.vector = cachedVectors[chunk.textHash] }
                    return chunk
                }
                var meta = DocumentMeta(tenant: lease.key.tenant.rawValue, docId: lease.key.docId.rawValue)
                if case .api(let published) = lease.origin { meta = published }
                var upsert = SinkDocument(
                    key: lease.key, revision: lease.revision, contentHash: document.contentHash, title: document.title ?? meta.title,
                    attributes: meta.attributes ?? [:], chunks: chunks, staleOrdinals: chunks.count..<max(chunks.count, previous))
                completion.sinkExtent = max(chunks.count, previous)
                if let content = contents[lease.token] {
                    meta.sha256 = nil
                    meta.deleted = nil
                    meta.mimeType = content.mimeType
                    upsert.content = content.text
                    upsert.meta = meta
                }
                writes.append((completion, .upsert(upsert)))
            case .deleted, .skipped:
                if Worker.neverReachedSink(completion, state: states[lease.key], extent: extents[lease.key]) {
                    ready.append(completion)
                } else {
                    completion.sinkExtent = .max
                    writes.append((completion, .remove(lease.key, revision: lease.revision)))
                }
            case .unchanged:
                ready.append(completion)
            }
        }
        guard !writes.isEmpty else { return ready }
        let lost = try await queue.renew(writes.map(\.0.lease), duration: leaseDuration)
        if !lost.isEmpty {
            logger.warning("\(lost.count) leases were lost before writing to \(sink.description); those documents are someone else's now")
            writes.removeAll { lost.contains($0.0.lease.token) }
        }
        return ready + (try await write(writes))
    }

    /// One sink write for a batch. A refused batch is split so that one
    /// rejected document does not hold back the others.
    private func write(_ batch: [(Completion, SinkOperation)]) async throws -> [Completion] {
        guard !batch.isEmpty else { return [] }
        do {
            let writing = ContinuousClock.now
            try await sink.write(batch.map(\.1))
            metrics.stage("sink", ContinuousClock.now - writing)
            return batch.map(\.0)
        } catch let error as DeliveryError where error.isDestinationWide {
            // The sink's trouble (its breaker is open, it is down, it asks to slow down), not the
            // documents': back to the queue, no attempt spent. A storm or an outage long enough
            // used to make dead letters of whatever met it five times.
            for (completion, _) in batch {
                try await postpone(completion.lease, until: clock.now() + (error.retryAfter ?? .seconds(1)))
            }
            return []
        } catch let error as DeliveryError where error.kind == .rejected && batch.count > 1 {
            var written: [Completion] = []
            for item in batch { written += try await write([item]) }
            return written
        } catch {
            for (completion, _) in batch { try await fail(completion.lease, error, code: .delivery) }
            return []
        }
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
        let outcome = try await queue.fail(lease, error: failure)
        switch outcome {
        case .deadLettered:
            health.recordAttempt(failed: true, at: clock.now())
            logger.error("document failed for good", metadata: ["doc": "\(lease.key)", "reason": "\(failure.message)"])
            progress.record(.failed(reason: failure.message), for: lease.key)
            metrics.processed(tenant: lease.key.tenant.rawValue, outcome: "failed")
        case .willRetry(let time):
            health.recordAttempt(failed: true, at: clock.now())
            logger.warning("document failed; will retry", metadata: ["doc": "\(lease.key)", "reason": "\(failure.message)", "retryAt": "\(time)"])
        case .superseded, .leaseLost:
            break
        }
    }

    /// Renews the leases still being worked on until none is left (or the batch ends).
    private func heartbeat(_ working: WorkingLeases) async throws {
        while true {
            do {
                try await clock.sleep(until: clock.now() + leaseDuration / 3)
            } catch {
                return
            }
            let live = working.current
            guard !live.isEmpty else { return }
            let lost = try await queue.renew(live, duration: leaseDuration)
            if !lost.isEmpty {
                logger.warning("\(lost.count) leases were lost while working; those documents will be processed again")
                working.done(Array(lost))
            }
        }
    }

    /// Whether the sink cannot hold anything of a document being removed or
    /// skipped: a new document skipped at once (an unsupported file), or one
    /// recorded without chunks and not marked by a repair (cleared settings).
    /// A document the store never recorded cannot have points either (every
    /// write records a sink extent first), unless it has a sink extent: a
    /// file made and deleted before it was processed costs no request.
    /// `verify --repair` records an extent for the unknown documents whose
    /// points it found, so their tombstones are sent.
    static func neverReachedSink(_ completion: Completion, state: DocumentState?, extent: Int?) -> Bool {
        guard extent == nil else { return false }
        guard let state else { return true }
        return state.chunkCount == 0 && state.status != .indexed && !state.settingsFingerprint.isEmpty
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

/// The leases of a worker's batch not yet handed back (completed, failed or
/// postponed): what the heartbeat renews. Each is dropped right before it is
/// handed back, so a renewal never races its completion (a batch finished in
/// parts, to stay within the memory budget, and a renewal queued behind a
/// long completion used to find leases gone and report them lost).
final class WorkingLeases: Sendable {
    private let leases = Mutex<[Lease]>([])

    func begin(_ batch: [Lease]) { leases.withLock { $0 = batch } }

    var current: [Lease] { leases.withLock { $0 } }

    func done(_ tokens: [String]) {
        let tokens = Set(tokens)
        leases.withLock { $0.removeAll { tokens.contains($0.token) } }
    }
}
