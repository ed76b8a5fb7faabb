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
        return try await enqueueing("publishing documents") { db, effects in
            // One revision per publication, allocated once for the whole group; an
            // unchanged document leaves its number unused.
            var revision = try SQLiteStore.allocateRevisions(db, count: count)
            let statements = try PublicationStatements(db)
            return try groups.map { publications in
                try publications.map { publication in
                    defer { revision += 1 }
                    return try SQLiteStore.publish(publication, revision: revision, statements, now: now, settle: settle, effects: &effects)
                }
            }
        }
    }

    /// What each publication of a group reads and writes, looked up in GRDB's cache once for the group (see `QueueRows`).
    struct PublicationStatements {
        let rows: QueueRows
        /// The document's indexed state.
        let indexed: Statement
        /// Keeps a published document's content (once per document and hash).
        let storeContent: Statement

        init(_ db: Database) throws {
            rows = try QueueRows(db)
            indexed = try db.cachedStatement(sql: "SELECT status, content_hash, revision FROM documents WHERE tenant = ? AND doc_id = ?")
            storeContent = try db.cachedStatement(sql: """
                INSERT INTO contents (tenant, doc_id, hash, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, doc_id, hash) DO NOTHING
                """)
        }
    }

    static func publish(
        _ publication: Publication, revision: Int64, _ statements: PublicationStatements, now: Timestamp, settle: SettlePolicy,
        effects: inout EnqueueEffects
    ) throws -> PublishOutcome {
        let db = statements.rows.db
        let key = publication.key
        let pending = try statements.rows.fetch(key)
        if let hash = publication.contentHash {
            // Read by position (`RowStepper`), as the queue's row is: every publication does this.
            let lookup = RowStepper(statements.indexed, in: db)
            try lookup.bind(1, key.tenant.rawValue)
            try lookup.bind(2, key.docId.rawValue)
            let indexed = try lookup.first { row in
                (status: row.string(0).flatMap(DocumentState.Status.init(rawValue:)),
                 hash: row.data(1).map { ContentHash(bytes: Array($0)) }, revision: row.int64(2))
            }
            if publication.leavesUnchanged(indexed: (indexed?.status, indexed?.hash), pending: pending) {
                return .unchanged(revision: indexed?.revision ?? 0)
            }
            let insert = RowStepper(statements.storeContent, in: db)
            try insert.bind(1, key.tenant.rawValue)
            try insert.bind(2, key.docId.rawValue)
            try insert.bind(3, blob: hash.bytes)
            try insert.bind(4, blob: publication.content ?? [])
            try insert.execute()
        }
        let change = Change(
            key: key, kind: publication.isTombstone ? .delete : .upsert, origin: .api(publication.meta),
            contentHash: publication.contentHash, priority: publication.priority,
            activity: publication.isSettled ? .settled : .quiet)
        let superseded = pending?.contentHash
        let outcome = try enqueue(statements.rows, change, pending: pending, revision: revision, now: now, settle: settle, effects: &effects)
        if let superseded, superseded != publication.contentHash { try releaseContent(db, key, superseded) }
        switch outcome {
        case .queued(let revision): return .queued(revision: revision)
        case .coalesced(let revision): return .coalesced(revision: revision)
        }
    }

    public func contents(_ wanted: [ContentRef], byteLimit: Int) async throws -> [ContentRef: [UInt8]?] {
        guard !wanted.isEmpty else { return [:] }
        return try await read("reading stored content") { db in
            let size = try db.cachedStatement(sql: "SELECT length(bytes) FROM contents WHERE tenant = ? AND doc_id = ? AND hash = ?")
            let bytes = try db.cachedStatement(sql: "SELECT bytes FROM contents WHERE tenant = ? AND doc_id = ? AND hash = ?")
            var found: [ContentRef: [UInt8]?] = [:]
            var total = 0
            for ref in wanted where found[ref] == nil {
                let arguments: StatementArguments = [ref.key.tenant.rawValue, ref.key.docId.rawValue, Data(ref.hash.bytes)]
                guard let length = try Int.fetchOne(size, arguments: arguments) else {
                    found[ref] = .some(nil)
                    continue
                }
                if total > 0 && total + length > byteLimit { break }
                total += length
                found[ref] = try Data.fetchOne(bytes, arguments: arguments).map { Array($0) }
            }
            return found
        }
    }
}
