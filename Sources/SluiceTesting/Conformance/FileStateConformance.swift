import SluiceCore
import Testing

/// The scan's view of the store (`FileStateStore`): file states recorded
/// with the changes they cause, by scans and by workers' completions;
/// the file-backed documents under a folder; the scan problems. Written once
/// and run by every backend's tests, like `JobQueueConformance`.
public struct FileStateConformance: Sendable {
    public typealias Backend = any FileStateStore & JobQueue
    public let make: @Sendable (ManualClock) async throws -> Backend

    public init(make: @escaping @Sendable (ManualClock) async throws -> Backend) {
        self.make = make
    }

    static func state(_ docId: String, root: String = "/r", hash: String = "abc") -> FileState {
        FileState(
            key: JobQueueConformance.key(docId), root: root, tenantDirectory: root + "/acme", path: "\(root)/acme/\(docId)",
            stat: FileStat(size: 3, mtimeNanos: 10, ctimeNanos: 10, inode: UInt64.max - 7), contentHash: ContentHash.of(hash),
            recordedAtNanos: 20)
    }

    public func scanStateAndChangesCommitTogether() async throws {
        let store = try await make(ManualClock())
        let key = JobQueueConformance.key("a.md")
        let state = Self.state("a.md")
        try await store.applyScan(ScanBatch(fileStates: [state], changes: [JobQueueConformance.change("a.md")]))
        #expect(try await store.recordedFiles(root: "/r") == RecordedFiles(states: [key: state]))
        #expect(try await store.recordedFiles(root: "/other") == RecordedFiles())
        try await store.applyScan(ScanBatch(removedFiles: [key], changes: [JobQueueConformance.change("a.md", kind: .delete)]))
        #expect(try await store.recordedFiles(root: "/r").states.isEmpty)
        #expect(try await store.depth().pending == 1, "the delete coalesced into the document's one row")
    }

    /// A file queued and not yet finished is known to a scan through its queue
    /// row; once a worker finishes it, through the state it recorded.
    public func aCompletionRecordsTheFileItRead() async throws {
        let clock = ManualClock()
        let store = try await make(clock)
        let key = JobQueueConformance.key("a.md")
        try await store.enqueue([JobQueueConformance.change("a.md")])
        #expect(try await store.recordedFiles(root: "/r") == RecordedFiles(queued: [key: FileLocation(scanRoot: "/r", tenantDirectory: "/r/acme", path: "/r/acme/a.md")]))
        clock.advance(by: .seconds(1))
        let lease = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        let state = Self.state("a.md")
        #expect(try await store.complete([Completion(lease: lease, result: .skipped(contentHash: state.contentHash, reason: "test"), file: .seen(state))]) == [.applied])
        #expect(try await store.recordedFiles(root: "/r") == RecordedFiles(states: [key: state]))

        try await store.enqueue([JobQueueConformance.change("a.md", kind: .delete)])
        clock.advance(by: .seconds(1))
        let delete = try #require(try await store.lease(limit: 1, duration: .seconds(30)).first)
        _ = try await store.complete([Completion(lease: delete, result: .deleted, file: .gone)])
        #expect(try await store.recordedFiles(root: "/r") == RecordedFiles())
    }

    /// For tombstoning a folder that went away: every file-backed document
    /// under it, recorded, queued or indexed, and nothing beside it.
    public func listsTheFileDocumentsUnderAFolder() async throws {
        let clock = ManualClock()
        let store = try await make(clock)
        try await store.applyScan(ScanBatch(fileStates: [Self.state("docs/a.md"), Self.state("docs/sub/b.md"), Self.state("docs0.md")]))
        try await store.enqueue([JobQueueConformance.change("docs/c.md"), JobQueueConformance.change("other/d.md")])
        let tenant = try TenantID("acme")
        let under = try await store.fileDocuments(tenant: tenant, under: "docs").map(\.docId.rawValue).sorted()
        #expect(under == ["docs/a.md", "docs/c.md", "docs/sub/b.md"])
        #expect(try await store.fileDocuments(tenant: tenant, under: "").count == 5)
        #expect(try await store.fileDocuments(tenant: try TenantID("globex"), under: "").isEmpty)
    }

    /// Each scan replaces the problems it found for the tenants it scanned;
    /// others' stay, and a tenant's list is capped with a note of how many more.
    public func scanProblemsAreReplacedPerTenantAndCapped() async throws {
        let store = try await make(ManualClock())
        let acme = try TenantID("acme")
        let globex = try TenantID("globex")
        try await store.replaceProblems(
            [ScanProblem(tenant: "acme", message: "a"), ScanProblem(tenant: "globex", message: "g"), ScanProblem(tenant: nil, message: "root")],
            of: [acme, globex], includingRoot: true)
        #expect(try await store.problems(tenant: nil).map(\.description) == ["root", "acme: a", "globex: g"])
        try await store.replaceProblems([], of: [acme], includingRoot: false)
        #expect(try await store.problems(tenant: nil).map(\.description) == ["root", "globex: g"])
        let many = (0..<(ScanProblem.maxPerTenant + 5)).map { ScanProblem(tenant: "acme", message: "problem \(1000 + $0)") }
        try await store.replaceProblems(many, of: [acme], includingRoot: false)
        let kept = try await store.problems(tenant: acme)
        #expect(kept.count == ScanProblem.maxPerTenant + 1)
        #expect(kept.contains { $0.message == "... and 5 more problems" })
    }
}
