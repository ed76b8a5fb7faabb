import Foundation
@testable import SluiceApp
import SluiceCore
import SluiceTesting
import SluiceWatch
import Testing

/// The intake through the watcher's event seam: events in, queue rows out.
/// Settle windows run on a manual clock, so a slow machine cannot stretch them.
@Suite struct LiveIntakeTests {
    let files: TemporaryDirectory
    let clock = ManualClock()
    let runtime: SluiceRuntime
    let intake: LiveIntake
    let rescans = RescanRequests()

    init() throws {
        files = try TemporaryDirectory("sluice-intake-files")
        var configuration = Configuration()
        configuration.dataDirectory = try TemporaryDirectory("sluice-intake-data").path
        runtime = try SluiceRuntime(configuration: configuration, clock: clock)
        let layout = WatchLayout(scanRoot: files.path, singleTenant: nil, rules: IgnoreRules())
        intake = LiveIntake(
            store: runtime.store, layout: layout, settle: configuration.settlePolicy, clock: clock, rescans: rescans,
            logger: runtime.logger)
    }

    /// The queued documents and their kinds, once the quiet settle window has passed.
    func queuedKinds() async throws -> [String: Change.Kind] {
        clock.advance(by: runtime.configuration.settleWindow)
        var kinds: [String: Change.Kind] = [:]
        for lease in try await runtime.store.lease(limit: 100, duration: .seconds(30)) {
            kinds["\(lease.key)"] = lease.kind
        }
        return kinds
    }

    /// The wait is on the manual clock, which never moves here: only the ring
    /// can end it (a loaded CI machine once took 21 s for this, and the old
    /// limit of 20 s on the wall clock failed a correct run).
    @Test(.timeLimit(.minutes(5))) func anOverflowAsksForARescan() async throws {
        // A ticket taken before the event: the ring counts even if it comes before the wait begins.
        let ticket = rescans.doorbell.ticket()
        try await intake.handle([.overflow])
        await rescans.doorbell.wait(until: clock.now() + .seconds(30), clock: clock, since: ticket)
        #expect(intake.statistics.overflows == 1)
        #expect(rescans.take().everything, "events were lost: everything is scanned again")
    }

    /// The watch budget per tenant is the setting, and at most half of what
    /// the kernel allows, so on a machine with a low limit one tenant still
    /// cannot take it all; one tenant's folder (`--tenant`) has no budget.
    @Test func aTenantsWatchBudgetIsAtMostHalfTheKernelsLimit() throws {
        let layout = WatchLayout(scanRoot: files.path, singleTenant: nil, rules: IgnoreRules())
        let lowered = try #require(layout.watchBudget(10_000, kernelLimit: 8_192))
        #expect(lowered.limit == 4_096 && lowered.reason.contains("half the kernel's fs.inotify.max_user_watches of 8192"))
        let set = try #require(layout.watchBudget(1_000, kernelLimit: 8_192))
        #expect(set.limit == 1_000 && set.reason.contains("(SLUICE_TENANT_MAX_WATCHED_FOLDERS)"))
        #expect(layout.watchBudget(1_000, kernelLimit: nil)?.limit == 1_000)
        let none = try #require(layout.watchBudget(nil, kernelLimit: 8_192), "0: tenants counted, no limit but the kernel's")
        #expect(none.limit == nil && none.group(files.path + "/acme/docs") == files.path + "/acme")
        #expect(set.group(files.path + "/acme/docs/deep") == files.path + "/acme" && set.group(files.path) == nil)
        let single = WatchLayout(scanRoot: files.path + "/acme", singleTenant: try TenantID("acme"), rules: IgnoreRules())
        #expect(single.watchBudget(1_000, kernelLimit: 8_192) == nil)
    }

    @Test func anAtomicSaveIsOneUpdateNeverADelete() async throws {
        try files.write("acme/notes.md", "new content")
        try await intake.handle([.moved(from: files.path + "/acme/.notes.md.swp", to: files.path + "/acme/notes.md", isDirectory: false)])
        #expect(try await queuedKinds() == ["acme/notes.md": .upsert])
    }

    @Test func ignoredAndOutOfTenantPathsQueueNothing() async throws {
        try files.write("stray.md", "no tenant")
        try files.write("acme/.hidden.md", "hidden")
        try files.write("Bad Name/x.md", "bad tenant")
        try await intake.handle([
            .changed(path: files.path + "/stray.md"), .changed(path: files.path + "/acme/.hidden.md"),
            .changed(path: files.path + "/Bad Name/x.md"), .changed(path: files.path + "/acme/gone.md"),
        ])
        #expect(try await queuedKinds() == ["acme/gone.md": .delete], "a change to a file that is gone is a tombstone")
    }

    @Test func busyTreesGetTheLongerWindowAndNewFilesNormalPriority() async throws {
        var events: [WatchEvent] = []
        for index in 0..<80 {
            try files.write("acme/f\(index).md", "file \(index)")
            events.append(.changed(path: files.path + "/acme/f\(index).md"))
        }
        try await intake.handle(events)
        let busyWindow = runtime.configuration.settlePolicy.busyWindow
        #expect(busyWindow > runtime.configuration.settleWindow)
        clock.advance(by: busyWindow - .milliseconds(1))
        #expect(try await runtime.store.depth().delayed == 80, "all wait for the busy settle window")
        clock.advance(by: .milliseconds(1))
        let leases = try await runtime.store.lease(limit: 100, duration: .seconds(30))
        #expect(leases.count == 80 && leases.allSatisfy { $0.priority == .normal })
    }

    /// Busy is counted per tenant: while one tenant's folder floods, another
    /// tenant's edit keeps the quiet window (it once waited for the flood's).
    @Test func oneTenantsFloodLeavesAnotherTenantsEditItsQuietWindow() async throws {
        var events: [WatchEvent] = []
        for index in 0..<80 {
            try files.write("flood/f\(index).md", "file \(index)")
            events.append(.changed(path: files.path + "/flood/f\(index).md"))
        }
        try files.write("acme/notes.md", "an edit")
        events.append(.changed(path: files.path + "/acme/notes.md"))
        try await intake.handle(events)
        clock.advance(by: runtime.configuration.settleWindow)
        let leases = try await runtime.store.lease(limit: 100, duration: .seconds(30))
        #expect(leases.map { "\($0.key)" } == ["acme/notes.md"], "the flood's 80 wait for the busy window, the edit does not")
        #expect(leases.first?.priority == .high)
        #expect(try await runtime.store.depth().delayed == 80)
    }

    /// A tenant rewriting its `.sluiceignore` asks for a rescan of its own
    /// folder only; the root's ignore file, which applies to all, for all.
    @Test func anIgnoreFileChangeRescansItsTenantOnly() async throws {
        try files.write("acme/.sluiceignore", "drafts/\n")
        for _ in 0..<3 { try await intake.handle([.changed(path: files.path + "/acme/.sluiceignore")]) }
        #expect(rescans.take() == RescanRequests.Scope(everything: false, tenants: [try TenantID("acme")]))
        try files.write(".sluiceignore", "*.tmp\n")
        try await intake.handle([.changed(path: files.path + "/.sluiceignore")])
        #expect(rescans.take().everything)
    }

    /// The chaos test's race: a new file's upsert is leased and its file read,
    /// then the file is deleted while the kernel queue overflows (its delete
    /// event lost), and the rescan runs before the worker finishes. The worker
    /// records the file only when it completes, so the rescan must count the
    /// queued upsert as a file it knows, and tombstone it when it is gone.
    @Test func aFileDeletedWhileItsUpsertIsInFlightIsTombstonedByTheRescan() async throws {
        try files.write("acme/brief.md", "# Brief\n\nborn and gone during one flood.\n")
        let path = files.path + "/acme/brief.md"
        try await intake.handle([.changed(path: path)])
        clock.advance(by: runtime.configuration.settleWindow)
        let lease = try #require(try await runtime.store.lease(limit: 1, duration: .seconds(30)).first)
        let stat = try #require(try FileSystem.status(path)).stat
        let read = FileState(
            key: lease.key, root: files.path, tenantDirectory: files.path + "/acme", path: path, stat: stat,
            contentHash: ContentHash.of("read before the delete"), recordedAtNanos: clock.now().milliseconds * 1_000_000)

        try files.remove("acme/brief.md")
        let scan = try await Reconciler(store: runtime.store, scanner: DirectoryScanner(rules: IgnoreRules()), clock: clock)
            .reconcile(try TenantRoot.discover(root: files.path, singleTenant: nil).roots, scanRoot: files.path)
        #expect(scan.tombstoned == 1, "the in-flight document is known to the scan")
        _ = try await runtime.store.complete([
            Completion(lease: lease, result: .skipped(contentHash: read.contentHash, reason: "read before the delete"), file: .seen(read))
        ])
        #expect(try await queuedKinds() == ["acme/brief.md": .delete], "the tombstone waits behind the finished upsert")
    }

    /// A file rewritten just after each processing (a log appended to without
    /// pause) found no pending row each time and was processed after the
    /// short quiet window again and again; a change soon after the previous
    /// one now waits for the busy window, and a change long after it does not.
    @Test func aFileRewrittenRightAfterItsProcessingWaitsForTheBusyWindow() async throws {
        let settle = runtime.configuration.settlePolicy
        let path = files.path + "/acme/app.log"
        func processOnce() async throws {
            clock.advance(by: settle.window)
            let lease = try #require(try await runtime.store.lease(limit: 1, duration: .seconds(30)).first)
            _ = try await runtime.store.complete([Completion(lease: lease, result: .skipped(contentHash: nil, reason: "test"))])
        }
        try files.write("acme/app.log", "line 1\n")
        try await intake.handle([.changed(path: path)])
        try await processOnce()
        clock.advance(by: .milliseconds(5))
        try files.write("acme/app.log", "line 1\nline 2\n")
        try await intake.handle([.changed(path: path)])
        clock.advance(by: settle.window)
        #expect(try await runtime.store.lease(limit: 1, duration: .seconds(30)).isEmpty, "not ready after the quiet window")
        clock.advance(by: settle.busyWindow - settle.window)
        let lease = try #require(try await runtime.store.lease(limit: 1, duration: .seconds(30)).first, "ready after the busy window")
        _ = try await runtime.store.complete([Completion(lease: lease, result: .skipped(contentHash: nil, reason: "test"))])

        clock.advance(by: settle.busyWindow)
        try files.write("acme/app.log", "a later edit\n")
        try await intake.handle([.changed(path: path)])
        clock.advance(by: settle.window)
        #expect(try await runtime.store.lease(limit: 1, duration: .seconds(30)).count == 1, "an edit long after the last is quiet again")
    }
}
