import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// What quiescence is judged by: the index against the files and published documents.
extension ChaosBenchmark {
    /// (tenant, docId) → content hash of every indexed document.
    func indexedHashes(_ runtime: SluiceRuntime) async throws -> [World.Key: String] {
        var hashes: [World.Key: String] = [:]
        for tenant in tenantNames {
            for document in try await runtime.store.documents(tenant: try TenantID(tenant), status: .indexed) {
                hashes[World.Key(tenant: tenant, docId: document.key.docId.rawValue)] = document.contentHash
            }
        }
        return hashes
    }

    func compare(runtime: SluiceRuntime, expected: [World.Key: World.Document]) async throws -> Report {
        struct Slot: Hashable {
            var key: World.Key
            var ordinal: Int
        }
        // What the chunker makes of each expected document, by slot.
        var wanted: [Slot: String] = [:]
        for (key, document) in expected {
            let extractor = runtime.extractors.extractor(forPath: key.docId) ?? PlainTextExtractor()
            let text = try extractor.extract(Array(document.content.utf8)).text
            for chunk in runtime.chunker.chunk(text) { wanted[Slot(key: key, ordinal: chunk.ordinal)] = ContentHash.of(chunk.text).hex }
        }
        var seen = Set<Slot>()
        var duplicated = 0, crossTenant = 0, leftOver = 0
        var matchedDocuments = Set<World.Key>()
        var wrong = Set<World.Key>()
        try await runtime.store.exportChunks(tenant: nil, batchSize: 5000) { chunks in
            for chunk in chunks {
                let slot = Slot(key: World.Key(tenant: chunk.tenant, docId: chunk.docId), ordinal: chunk.ordinal)
                if !seen.insert(slot).inserted { duplicated += 1 }
                if tenantNames.contains(where: { $0 != chunk.tenant && chunk.text.contains(World.marker($0)) }) { crossTenant += 1 }
                if let hash = wanted[slot] {
                    if hash == chunk.textHash { matchedDocuments.insert(slot.key) } else { wrong.insert(slot.key) }
                } else {
                    leftOver += 1
                }
            }
        }
        let missingSlots = Set(wanted.keys).subtracting(seen)
        let indexed = try await indexedHashes(runtime)
        let missingDocuments = Set(missingSlots.map(\.key))
        let lost = expected.filter { key, document in
            indexed[key] != document.hash || wrong.contains(key) || missingDocuments.contains(key)
        }.keys.sorted()
        var lostExamples: [String] = []
        for key in lost.prefix(5) {
            let state = try await runtime.store.documentState(DocumentKey(tenant: try TenantID(key.tenant), docId: try DocumentID(key.docId)))
            lostExamples.append(
                "\(key.tenant)/\(key.docId): " + (state.map { "\($0.status) r\($0.revision) \($0.contentHash == expected[key]?.hash ? "at the last version" : "at another version")" } ?? "unknown to the store")
                    + (wrong.contains(key) ? ", chunks of another version" : "") + (missingDocuments.contains(key) ? ", chunks missing" : ""))
        }
        var deadLetters: [String] = []
        for letter in try await runtime.store.deadLetters(tenant: nil, newest: nil) {
            deadLetters.append("\(letter.key.tenant.rawValue)/\(letter.key.docId.rawValue): \(letter.reason)")
        }
        return Report(
            seed: seed, seconds: seconds, sink: "", tenants: tenantNames, counts: Counts(), expectedDocuments: expected.count,
            expectedChunks: wanted.count, lost: lost.count, lostExamples: lostExamples, duplicated: duplicated, crossTenant: crossTenant, leftOver: leftOver,
            foreignAccepted: 0, deadLetters: deadLetters, quiescenceSeconds: 0, sinkDrift: 0, sinkInvalidRequests: [],
            childExitStatus: 0, checks: [])
    }
}
