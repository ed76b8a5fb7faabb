import Foundation
import PostgresNIO
import SluiceCore

extension PostgresStore: FileStateStore {
    public func recordedFiles(root: String) async throws -> RecordedFiles {
        // One transaction: a document a worker completes meanwhile is in one list or the other.
        try await transaction("reading file state under \(root)") { connection in
            var recorded = RecordedFiles()
            for row in try await connection.query("""
                SELECT tenant, doc_id, root, tenant_dir, path, size, mtime_ns, ctime_ns, inode, content_hash, recorded_at_ns
                FROM files WHERE root = \(root)
                """, logger: self.logger).collect()
            {
                let state = try FileState(postgres: row)
                recorded.states[state.key] = state
            }
            for row in try await connection.query("""
                SELECT tenant, doc_id, tenant_dir, path FROM queue WHERE root = \(root) AND source = 'file' AND kind = 'upsert'
                """, logger: self.logger).collect()
            {
                let (tenant, docId, tenantDirectory, path) = try row.decode((String, String, String, String).self)
                let key = DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId))
                guard recorded.states[key] == nil else { continue }
                recorded.queued[key] = FileLocation(scanRoot: root, tenantDirectory: tenantDirectory, path: path)
            }
            return recorded
        }
    }

    public func fileDocuments(tenant: TenantID, under folder: String) async throws -> [DocumentKey] {
        try await reading("listing documents under \(folder)") { connection in
            // Byte order (COLLATE "C"): doc ids under "a/b" sort between "a/b/" and "a/b0" ('0' follows '/').
            let low = folder.isEmpty ? "" : folder + "/"
            let high = folder.isEmpty ? "\u{10FFFF}" : folder + "0"
            let t = tenant.rawValue
            let rows = try await connection.query("""
                SELECT doc_id FROM documents WHERE tenant = \(t) AND source = 'file' AND status <> 'deleted'
                    AND doc_id COLLATE "C" >= \(low) AND doc_id COLLATE "C" < \(high)
                UNION SELECT doc_id FROM files WHERE tenant = \(t) AND doc_id COLLATE "C" >= \(low) AND doc_id COLLATE "C" < \(high)
                UNION SELECT doc_id FROM queue WHERE tenant = \(t) AND source = 'file' AND kind = 'upsert'
                    AND doc_id COLLATE "C" >= \(low) AND doc_id COLLATE "C" < \(high)
                """, logger: self.logger).collect()
            return try rows.map { DocumentKey(tenant: tenant, docId: DocumentID(storedRawValue: try $0.decode(String.self))) }
        }
    }

    @discardableResult
    public func applyScan(_ batch: ScanBatch) async throws -> [EnqueueOutcome] {
        guard !batch.isEmpty else { return [] }
        return try await enqueueing("recording scan results") { connection, now, effects in
            try await self.saveFileStates(connection, batch.fileStates)
            try await self.forgetFiles(connection, batch.removedFiles)
            return try await self.enqueue(connection, batch.changes, now: now, effects: &effects)
        }
    }

    public func replaceProblems(_ problems: [ScanProblem], of tenants: [TenantID], includingRoot: Bool) async throws {
        let scopes = tenants.map(\.rawValue) + (includingRoot ? [""] : [])
        let byScope = Dictionary(grouping: problems, by: { $0.tenant ?? "" })
        try await transaction("recording scan problems") { connection in
            let now = try await self.now(connection)
            for scope in scopes {
                try await connection.query("DELETE FROM scan_problems WHERE tenant = \(scope)", logger: self.logger)
                let found = byScope[scope] ?? []
                var kept = Array(Set(found.map(\.message)).sorted().prefix(ScanProblem.maxPerTenant))
                if found.count > kept.count { kept.append("... and \(found.count - kept.count) more problems") }
                for message in kept {
                    try await connection.query("""
                        INSERT INTO scan_problems (tenant, message, seen_at) VALUES (\(scope), \(message), \(now.milliseconds))
                        ON CONFLICT DO NOTHING
                        """, logger: self.logger)
                }
            }
        }
    }

    public func problems(tenant: TenantID?) async throws -> [ScanProblem] {
        try await reading("reading scan problems") { connection in
            let rows = try await connection.query("""
                SELECT tenant, message FROM scan_problems WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
                ORDER BY tenant COLLATE "C", message COLLATE "C"
                """, logger: self.logger).collect()
            return try rows.map { row in
                let (tenant, message) = try row.decode((String, String).self)
                return ScanProblem(tenant: tenant.isEmpty ? nil : tenant, message: message)
            }
        }
    }

    /// Records what was seen of many files in one statement (of a file seen
    /// twice, the last: one statement may not write a row twice).
    func saveFileStates(_ connection: PostgresConnection, _ seen: [FileState]) async throws {
        guard !seen.isEmpty else { return }
        var last: [DocumentKey: Int] = [:]
        for (index, state) in seen.enumerated() { last[state.key] = index }
        let states = seen.indices.filter { last[seen[$0].key] == $0 }.map { seen[$0] }
        try await connection.query("""
            INSERT INTO files (tenant, doc_id, root, tenant_dir, path, size, mtime_ns, ctime_ns, inode, content_hash, recorded_at_ns)
            SELECT * FROM unnest(
                \(states.map(\.key.tenant.rawValue))::text[], \(states.map(\.key.docId.rawValue))::text[], \(states.map(\.root))::text[],
                \(states.map(\.tenantDirectory))::text[], \(states.map(\.path))::text[], \(states.map(\.stat.size))::int8[],
                \(states.map(\.stat.mtimeNanos))::int8[], \(states.map(\.stat.ctimeNanos))::int8[],
                \(states.map { Int64(bitPattern: $0.stat.inode) })::int8[], \(states.map { ByteBuffer(bytes: $0.contentHash.bytes) })::bytea[],
                \(states.map(\.recordedAtNanos))::int8[])
            ON CONFLICT (tenant, doc_id) DO UPDATE SET
                root = excluded.root, tenant_dir = excluded.tenant_dir, path = excluded.path, size = excluded.size,
                mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, inode = excluded.inode,
                content_hash = excluded.content_hash, recorded_at_ns = excluded.recorded_at_ns
            """, logger: logger)
    }

    func forgetFiles(_ connection: PostgresConnection, _ keys: [DocumentKey]) async throws {
        guard !keys.isEmpty else { return }
        try await connection.query("""
            DELETE FROM files WHERE (tenant, doc_id) IN
                (SELECT * FROM unnest(\(keys.map(\.tenant.rawValue))::text[], \(keys.map(\.docId.rawValue))::text[]))
            """, logger: logger)
    }
}

extension FileState {
    init(postgres row: PostgresRow) throws {
        let (tenant, docId, root, tenantDirectory, path, size, mtime, ctime, inode, hash, recordedAt) =
            try row.decode((String, String, String, String, String, Int64, Int64, Int64, Int64, Data, Int64).self)
        self.init(
            key: DocumentKey(tenant: TenantID(storedRawValue: tenant), docId: DocumentID(storedRawValue: docId)),
            root: root, tenantDirectory: tenantDirectory, path: path,
            stat: FileStat(size: size, mtimeNanos: mtime, ctimeNanos: ctime, inode: UInt64(bitPattern: inode)),
            contentHash: ContentHash(bytes: Array(hash)), recordedAtNanos: recordedAt)
    }
}
