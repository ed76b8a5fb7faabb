import Foundation
import GRDB
import SluiceCore

extension SQLiteStore: DocumentPublisher {
    public func publish(_ publications: [Publication]) async throws -> [PublishOutcome] {
        guard !publications.isEmpty else { return [] }
        return try await publishCommit.submit(publications, write: applyPublications)
    }

    /// Applies the publications of several requests in one transaction (see `GroupCommit`).
    func applyPublications(_ groups: [[Publication]]) async throws -> [[PublishOutcome]] {
        let now = clock.now()
        let settle = options.settle
        let count = groups.reduce(0) { $0 + $1.count }
        return try await enqueueing("publishing documents") { db, ready in
            // One revision per publication, allocated once for the whole group; an
            // unchanged document leaves its number unused.
            var revision = try SQLiteStore.allocateRevisions(db, count: count)
            return try groups.map { publications in
                try publications.map { publication in
                    defer { revision += 1 }
                    return try SQLiteStore.publish(publication, revision: revision, db: db, now: now, settle: settle, ready: &ready)
                }
            }
        }
    }

    static func publish(
        _ publication: Publication, revision: Int64, db: Database, now: Timestamp, settle: SettlePolicy, ready: inout ReadyTime
    ) throws -> PublishOutcome {
        let key = publication.key
        let pending = try QueueEntry.fetch(db, key)
        if let hash = publication.contentHash {
            let indexed = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT status, content_hash, revision FROM documents WHERE tenant = ? AND doc_id = ?"),
                arguments: [key.tenant.rawValue, key.docId.rawValue])
            let indexedHash: String? = indexed?["content_hash"]
            let indexedStatus: String? = indexed?["status"]
            let pendingOther = pending.map { $0.state == .queued && ($0.kind == .delete || $0.contentHash != hash) } ?? false
            if indexedStatus == DocumentState.Status.indexed.rawValue, indexedHash == hash.hex, !pendingOther,
                pending?.state != .dead
            {
                return .unchanged(revision: indexed?["revision"] ?? 0)
            }
            try db.cachedStatement(sql: "INSERT INTO contents (hash, bytes) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING")
                .execute(arguments: [Data(hash.bytes), Data(publication.content ?? [])])
        }
        let change = Change(
            key: key, kind: publication.isTombstone ? .delete : .upsert, origin: .api(publication.meta),
            contentHash: publication.contentHash, priority: publication.priority)
        let superseded = pending?.contentHash
        let outcome = try enqueue(db, change, revision: revision, now: now, settle: settle, ready: &ready)
        if let superseded, superseded != publication.contentHash { try releaseContent(db, superseded) }
        switch outcome {
        case .queued(let revision): return .queued(revision: revision)
        case .coalesced(let revision): return .coalesced(revision: revision)
        }
    }

    /// Deletes stored content no document or queued change refers to any more.
    static func releaseContent(_ db: Database, _ hash: ContentHash) throws {
        let blob = Data(hash.bytes)
        let used = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM documents WHERE content_hash = ? AND source = 'api' AND status != 'deleted')
                OR EXISTS (SELECT 1 FROM queue WHERE content_hash = ? AND source = 'api')
            """), arguments: [hash.hex, blob]) ?? false
        if !used {
            try db.cachedStatement(sql: "DELETE FROM contents WHERE hash = ?").execute(arguments: [blob])
        }
    }

    public func contents(_ hashes: [ContentHash], byteLimit: Int) async throws -> [ContentHash: [UInt8]?] {
        guard !hashes.isEmpty else { return [:] }
        return try await read("reading stored content") { db in
            let size = try db.cachedStatement(sql: "SELECT length(bytes) FROM contents WHERE hash = ?")
            let bytes = try db.cachedStatement(sql: "SELECT bytes FROM contents WHERE hash = ?")
            var found: [ContentHash: [UInt8]?] = [:]
            var total = 0
            for hash in hashes where found[hash] == nil {
                let key = Data(hash.bytes)
                guard let length = try Int.fetchOne(size, arguments: [key]) else {
                    found[hash] = .some(nil)
                    continue
                }
                if total > 0 && total + length > byteLimit { break }
                total += length
                found[hash] = try Data.fetchOne(bytes, arguments: [key]).map { Array($0) }
            }
            return found
        }
    }
}
