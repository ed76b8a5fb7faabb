import Logging
import SluiceCore

/// A batch's documents written to a remote sink: the extents recorded first,
/// the leases checked right before the write, a refused batch split so one
/// rejected document does not hold back the others. It decides what the
/// worker does with each document: record it, postpone it (the sink's
/// trouble, no attempt spent) or fail it.
struct SinkDelivery: Sendable {
    let sink: any Sink
    let queue: any JobQueue
    let documents: any DocumentStateStore
    let leaseDuration: Duration
    let clock: any SluiceClock
    let metrics: SluiceMetrics
    let logger: Logger

    struct Outcome {
        /// Confirmed by the sink, or with nothing to write: to be recorded.
        var confirmed: [Completion] = []
        /// Back to the queue until then, no attempt spent.
        var postponed: [(Lease, Timestamp)] = []
        /// Refused: an attempt spent, with the sink's words.
        var failed: [(Lease, any Error)] = []
    }

    /// Writes the documents of `completions` to the remote sink and returns
    /// those it confirmed (and those with nothing to write), to be recorded,
    /// and those to postpone or fail.
    /// Right before the write, the leases are checked: a document whose
    /// lease was lost is not written, as another worker has it now.
    func deliver(
        _ completions: [Completion], states: [DocumentKey: DocumentState], cachedVectors: [ContentHash: [Float]],
        contents: [String: (text: String, mimeType: String)]
    ) async throws -> Outcome {
        var outcome = Outcome()
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
        let extents = try await documents.raiseSinkExtents(growing, reading: completions.map(\.lease.key))
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
                if SinkDelivery.neverReachedSink(completion, state: states[lease.key], extent: extents[lease.key]) {
                    outcome.confirmed.append(completion)
                } else {
                    completion.sinkExtent = .max
                    writes.append((completion, .remove(lease.key, revision: lease.revision)))
                }
            case .unchanged:
                outcome.confirmed.append(completion)
            }
        }
        guard !writes.isEmpty else { return outcome }
        let lost = try await queue.renew(writes.map(\.0.lease), duration: leaseDuration)
        if !lost.isEmpty {
            logger.warning("\(lost.count) leases were lost before writing to \(sink.description); those documents are someone else's now")
            writes.removeAll { lost.contains($0.0.lease.token) }
        }
        try await write(writes, into: &outcome)
        return outcome
    }

    /// One sink write for a batch. A refused batch is split so that one
    /// rejected document does not hold back the others.
    private func write(_ batch: [(Completion, SinkOperation)], into outcome: inout Outcome) async throws {
        guard !batch.isEmpty else { return }
        do {
            let writing = ContinuousClock.now
            try await sink.write(batch.map(\.1))
            metrics.stage("sink", ContinuousClock.now - writing)
            outcome.confirmed += batch.map(\.0)
        } catch let error as DeliveryError where error.isDestinationWide {
            // The sink's trouble (its breaker is open, it is down, it asks to slow down), not the
            // documents': back to the queue, no attempt spent. A storm or an outage long enough
            // used to make dead letters of whatever met it five times.
            let until = clock.now() + (error.retryAfter ?? .seconds(1))
            outcome.postponed += batch.map { ($0.0.lease, until) }
        } catch let error as DeliveryError where error.kind == .rejected && batch.count > 1 {
            for item in batch { try await write([item], into: &outcome) }
        } catch {
            outcome.failed += batch.map { ($0.0.lease, error) }
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
}
