import Foundation
import SluiceTesting
import SluiceWatch
import Synchronization
import Testing

/// The watcher on real folders with real inotify.
@Suite struct InotifyWatcherTests {
    /// Collects what a watcher reports, on a task of its own until `stop()`.
    final class Reported: Sendable {
        private let events = Mutex<[WatchEvent]>([])
        private let reader = Mutex<Task<Void, Never>?>(nil)

        init(_ buffer: EventBuffer) {
            let task = Task { [self] in
                while let batch = await buffer.next() { events.withLock { $0 += batch } }
            }
            reader.withLock { $0 = task }
        }

        var all: [WatchEvent] { events.withLock { $0 } }

        /// Waits until `event` is reported, and says whether it was.
        func wait(for event: WatchEvent) async throws -> Bool {
            try await eventually(within: .seconds(30)) { all.contains(event) }
        }

        func stop() { reader.withLock { $0?.cancel() } }
    }

    /// Watches `files` with a budget of `limit` folders per top folder (a
    /// tenant's folder) around `body`, then stops the watcher.
    func watching(
        _ files: TemporaryDirectory, limit: Int, _ body: (InotifyWatcher, Reported) async throws -> Void
    ) async throws {
        let root = files.path
        let budget = InotifyWatcher.Budget(limit: limit, reason: "past the budget") { path in
            guard path.hasPrefix(root + "/") else { return nil }
            return root + "/" + path.dropFirst(root.count + 1).prefix { $0 != "/" }
        }
        let watcher = InotifyWatcher(root: root, budget: budget)
        try watcher.start()
        let reported = Reported(watcher.events())
        defer {
            watcher.stop()
            reported.stop()
        }
        try await body(watcher, reported)
    }

    /// One tenant's folders past its budget are left to rescans, reported
    /// once; another tenant's new folders are still watched, and the budget is
    /// given back when the tenant's watched folders go.
    @Test func aGroupPastItsBudgetLeavesTheOtherGroupsWatched() async throws {
        let files = try TemporaryDirectory("sluice-inotify-budget")
        defer { files.remove() }
        for index in 0..<30 { try files.write("hog/f\(index)/a.md", "a") }
        try files.write("quiet/a.md", "a")
        let hog = files.path + "/hog"
        let quiet = files.path + "/quiet"
        try await watching(files, limit: 10) { watcher, reported async throws in
            // The tenant's own folder and nine of its thirty.
            #expect(watcher.watchedFolders() == [hog: 10, quiet: 1])
            let unwatched = { reported.all.filter { if case .unwatched = $0 { true } else { false } } }
            #expect(try await eventually(within: .seconds(10)) { !unwatched().isEmpty })

            // Another tenant's new folder is watched, and what lands in it is seen.
            try FileManager.default.createDirectory(atPath: quiet + "/new", withIntermediateDirectories: false)
            #expect(try await reported.wait(for: .directoryAppeared(path: quiet + "/new")))
            try files.write("quiet/new/b.md", "b")
            #expect(try await reported.wait(for: .changed(path: quiet + "/new/b.md")))
            #expect(watcher.watchedFolders() == [hog: 10, quiet: 2])

            // The tenant at its budget: a new folder is announced (to be scanned) but not watched.
            try FileManager.default.createDirectory(atPath: hog + "/extra", withIntermediateDirectories: false)
            #expect(try await reported.wait(for: .directoryAppeared(path: hog + "/extra")))
            try files.write("hog/extra/c.md", "c")
            try files.write("quiet/after.md", "after")
            #expect(try await reported.wait(for: .changed(path: quiet + "/after.md")))
            #expect(!reported.all.contains(.changed(path: hog + "/extra/c.md")), "a folder past the budget is not watched")
            #expect(watcher.watchedFolders() == [hog: 10, quiet: 2])
            let reports = unwatched()
            #expect(reports.count == 1, "reported once for the tenant: \(reports)")
            if case .unwatched(let path, let reason) = reports.first {
                #expect(path.hasPrefix(hog + "/") && reason == "past the budget")
            }

            // Its watched folders deleted, the tenant's budget is free again.
            for index in 0..<30 { try files.remove("hog/f\(index)") }
            #expect(try await eventually(within: .seconds(30)) { watcher.watchedFolders()[hog] == 1 })
            try FileManager.default.createDirectory(atPath: hog + "/later", withIntermediateDirectories: false)
            #expect(try await reported.wait(for: .directoryAppeared(path: hog + "/later")))
            try files.write("hog/later/d.md", "d")
            #expect(try await reported.wait(for: .changed(path: hog + "/later/d.md")))
            #expect(watcher.watchedFolders() == [hog: 2, quiet: 2])
        }
    }

    /// A folder moved from one tenant's folder to another's counts against
    /// the tenant it went to.
    @Test func aFolderMovedToAnotherGroupCountsThere() async throws {
        let files = try TemporaryDirectory("sluice-inotify-budget-move")
        defer { files.remove() }
        try files.write("acme/docs/inner/a.md", "a")
        try files.write("globex/b.md", "b")
        let acme = files.path + "/acme"
        let globex = files.path + "/globex"
        try await watching(files, limit: 10) { watcher, reported async throws in
            #expect(watcher.watchedFolders() == [acme: 3, globex: 1])
            #expect(rename(acme + "/docs", globex + "/docs") == 0)
            #expect(try await reported.wait(for: .moved(from: acme + "/docs", to: globex + "/docs", isDirectory: true)))
            #expect(watcher.watchedFolders() == [acme: 1, globex: 3])
        }
    }
}
