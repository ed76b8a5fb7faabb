import SluiceCore

/// `sluice verify`: compares what the state store says the sink must hold
/// with what the sink holds, document by document, and with `repair`
/// queues the documents that are off to be written again.
///
/// For every indexed document, each of its chunk ids must be a point, written
/// from the document's current content; any other point is an orphan (of a
/// deleted document, or past the end of a shortened one). Documents with a
/// change still queued are reported as pending, not as drift: the queue
/// will write them anyway.
public struct SinkAudit: Sendable {
    public struct Report: Sendable, Codable, Equatable {
        public var sink: String
        public var documents = 0
        public var expectedPoints = 0
        public var foundPoints = 0
        public var drift: [Drift] = []
        /// Documents with a change still queued, left out of `drift`.
        public var pending = 0
        /// Points without a tenant and docId in their payload (not Sluice's): reported, never touched.
        public var foreignPoints = 0
        /// Documents queued to be written again (with `repair`).
        public var requeued = 0

        public var isClean: Bool { drift.isEmpty }
    }

    /// One document whose points are off.
    public struct Drift: Sendable, Codable, Equatable {
        public var tenant: String
        public var docId: String
        /// Its points the sink lacks.
        public var missing = 0
        /// Points the sink holds that the document must not have.
        public var orphans = 0
        /// Points written from another version of the document.
        public var outdated = 0
        /// One past the highest ordinal among the orphans, for the repair.
        var extent = 0

        public var summary: String {
            var parts: [String] = []
            if missing > 0 { parts.append("\(missing) points missing") }
            if outdated > 0 { parts.append("\(outdated) points from another version") }
            if orphans > 0 { parts.append("\(orphans) orphan points") }
            return parts.joined(separator: ", ")
        }

        enum CodingKeys: String, CodingKey { case tenant, docId, missing, orphans, outdated }
    }

    let store: any DocumentStateStore & JobQueue & QueueRepair
    let sink: any Sink

    public init(store: any DocumentStateStore & JobQueue & QueueRepair, sink: any Sink) {
        self.store = store
        self.sink = sink
    }

    public func run(tenant: TenantID?, repair: Bool) async throws -> Report {
        guard let reader = sink.reader else {
            throw SluiceError(
                .configuration,
                "\(sink.description) is write-only: Sluice cannot read it back to verify it; check it where it delivers")
        }
        var report = Report(sink: sink.description)
        // What must be there: point id → (document, content hash).
        var expected: [String: (key: DocumentKey, contentHash: String)] = [:]
        var documents = Set<DocumentKey>()
        try await store.exportChunks(tenant: tenant, batchSize: 5_000) { chunks in
            for chunk in chunks {
                let key = DocumentKey(tenant: TenantID(storedRawValue: chunk.tenant), docId: DocumentID(storedRawValue: chunk.docId))
                expected[chunk.chunkId.lowercased()] = (key, chunk.contentHash)
                documents.insert(key)
            }
        }
        report.documents = documents.count
        report.expectedPoints = expected.count
        var drift: [DocumentKey: Drift] = [:]
        func entry(_ key: DocumentKey) -> Drift {
            drift[key] ?? Drift(tenant: key.tenant.rawValue, docId: key.docId.rawValue)
        }
        var seen = Set<String>()
        try await reader.points(tenant: tenant) { points in
            for point in points {
                let id = point.id.lowercased()
                report.foundPoints += 1
                if let want = expected[id] {
                    seen.insert(id)
                    if let hash = point.contentHash, hash != want.contentHash {
                        var item = entry(want.key)
                        item.outdated += 1
                        drift[want.key] = item
                    }
                } else if let key = point.key {
                    var item = entry(key)
                    item.orphans += 1
                    item.extent = max(item.extent, (point.ordinal ?? 0) + 1)
                    drift[key] = item
                } else {
                    report.foreignPoints += 1
                }
            }
        }
        for (id, want) in expected where !seen.contains(id) {
            var item = entry(want.key)
            item.missing += 1
            drift[want.key] = item
        }
        // A document with a change in the queue is being written anyway.
        for key in Array(drift.keys) {
            if let queued = try await store.entry(key), queued.state == .queued {
                drift[key] = nil
                report.pending += 1
            }
        }
        report.drift = drift.values.sorted { ($0.tenant, $0.docId) < ($1.tenant, $1.docId) }
        if repair, !drift.isEmpty {
            let keys = Array(drift.keys)
            report.requeued = try await store.requeueForRewrite(
                keys, extent: drift.mapValues(\.extent).filter { $0.value > 0 }, priority: .high)
        }
        return report
    }
}
