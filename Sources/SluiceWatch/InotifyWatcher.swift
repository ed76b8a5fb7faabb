#if canImport(Glibc)
import Glibc
import Foundation
import SluiceCore
import Synchronization

/// Watches every folder under a root with Linux inotify, reading events on
/// its own thread, and delivers them as batches of `WatchEvent`s.
///
/// - Folders created or moved in later are watched as they appear (before
///   the event is delivered), and reported as `directoryAppeared` so their
///   contents are scanned: files may land before the watch is in place.
/// - A rename inside the tree pairs the kernel's MOVED_FROM and MOVED_TO by
///   cookie; an unpaired MOVED_FROM is something leaving the tree.
/// - IN_Q_OVERFLOW is reported as `overflow` (events were lost: rescan),
///   after every folder under the root is watched again.
/// - ENOSPC from `inotify_add_watch` (the fs.inotify.max_user_watches limit)
///   is reported as `unwatched`; such folders are only seen by rescans.
/// - With a `Budget`, the folders of one group (a tenant's folder) hold at
///   most so many watches: the kernel's limit is shared by every tenant (and
///   every process of the user), and one tenant's hundred thousand folders
///   would otherwise leave the others' new folders unwatched. A group's
///   folders past its budget are reported as `unwatched`, once per group.
///
/// The watch table is touched only by `start` (before the reader thread
/// exists) and then by the reader thread, so it needs no lock.
public final class InotifyWatcher: WatchEventSource, @unchecked Sendable {
    /// How many folders of one group may be watched. Groups are also what
    /// folders left unwatched for the kernel's limit are reported by.
    public struct Budget: Sendable {
        /// The group a folder belongs to (its tenant's folder); nil: none, no limit.
        public let group: @Sendable (String) -> String?
        /// nil: no limit but the kernel's.
        public let limit: Int?
        /// Why a group's folders past the limit are not watched, and what to do.
        public let reason: String

        public init(limit: Int?, reason: String, group: @escaping @Sendable (String) -> String?) {
            self.group = group
            self.limit = limit
            self.reason = reason
        }
    }

    public let root: String
    private let shouldWatch: @Sendable (String) -> Bool
    private let budget: Budget?
    private var descriptor: Int32 = -1
    private var paths: [Int32: String] = [:]
    private var rootDescriptor: Int32 = -1
    /// Watches held per group; read by `watchedFolders()` from other threads.
    private let watchesPerGroup = Mutex<[String: Int]>([:])
    /// Groups (or "" for folders in none) already told of a folder left unwatched.
    private var reportedGroups: Set<String> = []
    private let stopped = Atomic<Bool>(false)
    private var initialProblems: [WatchEvent] = []

    static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
        | UInt32(IN_MOVED_TO) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
        | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK) | UInt32(IN_DONT_FOLLOW)

    /// - Parameter shouldWatch: whether to watch a folder (absolute path); hidden
    ///   and excluded folders are not.
    ///   - budget: the groups, and how many folders of one may be watched; nil: one group, no limit but the kernel's.
    public init(root: String, shouldWatch: @escaping @Sendable (String) -> Bool = { _ in true }, budget: Budget? = nil) {
        self.root = root
        self.shouldWatch = shouldWatch
        self.budget = budget
    }

    /// The most watches this user may hold, as the kernel says (the user
    /// namespace's `max_inotify_watches` and `fs.inotify.max_user_watches`,
    /// whichever is lower); nil when neither can be read.
    public static func kernelLimit() -> Int? {
        ["/proc/sys/user/max_inotify_watches", "/proc/sys/fs/inotify/max_user_watches"]
            .compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            .compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .min()
    }

    /// The folders watched now in each group of the budget.
    public func watchedFolders() -> [String: Int] {
        watchesPerGroup.withLock { $0 }
    }

    /// Adds watches on every folder under the root. Blocking; returns once they
    /// are in place, so a scan started afterwards misses nothing.
    public func start() throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw SluiceError(.io, "cannot start inotify: \(String(cString: strerror(errno))); check fs.inotify.max_user_instances")
        }
        initialProblems = addTree(root)
        guard rootDescriptor >= 0 else {
            close(descriptor)
            throw SluiceError(.configuration, "cannot watch \(root): \(initialProblems.first.map { "\($0)" } ?? "it is not a folder")")
        }
    }

    /// Starts the reader thread; events arrive in the returned buffer until
    /// `stop()`, which ends the thread and closes the descriptor.
    public func events() -> EventBuffer {
        let buffer = EventBuffer()
        buffer.append(initialProblems)
        let thread = Thread { [self] in
            readLoop(buffer)
            buffer.finish()
            close(descriptor)
        }
        thread.name = "sluice-inotify"
        thread.start()
        return buffer
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func readLoop(_ output: EventBuffer) {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var pendingMoves: [UInt32: (path: String, isDirectory: Bool)] = [:]
        while !stopped.load(ordering: .relaxed) {
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            // Wait briefly when a MOVED_FROM awaits its MOVED_TO, else up to 200 ms.
            let ready = poll(&pollDescriptor, 1, pendingMoves.isEmpty ? 200 : 10)
            if ready < 0 && errno != EINTR { break }
            var batch: [WatchEvent] = []
            if ready > 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                if count > 0 {
                    batch = parse(buffer, count: count, pendingMoves: &pendingMoves)
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    break
                }
            } else {
                // Nothing paired the pending MOVED_FROMs: they left the tree.
                flush(&pendingMoves, into: &batch)
            }
            output.append(batch)
        }
    }

    private func parse(_ buffer: [UInt8], count: Int, pendingMoves: inout [UInt32: (path: String, isDirectory: Bool)]) -> [WatchEvent] {
        var events: [WatchEvent] = []
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset + 16 <= count {
                let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let cookie = raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                var name = ""
                if length > 0 {
                    let bytes = raw[(offset + 16)..<(offset + 16 + length)]
                    name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                offset += 16 + length
                handle(wd: wd, mask: mask, cookie: cookie, name: name, into: &events, pendingMoves: &pendingMoves)
            }
        }
        return events
    }

    /// Reports pending MOVED_FROMs as having left the tree, in the order they came.
    private func flush(_ pendingMoves: inout [UInt32: (path: String, isDirectory: Bool)], into events: inout [WatchEvent]) {
        for (_, move) in pendingMoves.sorted(by: { $0.key < $1.key }) {
            if move.isDirectory {
                // By path: this may drop the watch of a folder made at that name since the
                // first walk labelled it; watching the name again keeps it.
                unwatchTree(move.path)
                events += addTree(move.path)
            }
            events.append(.movedOut(path: move.path, isDirectory: move.isDirectory))
        }
        pendingMoves.removeAll()
    }

    private func handle(
        wd: Int32, mask: UInt32, cookie: UInt32, name: String, into events: inout [WatchEvent],
        pendingMoves: inout [UInt32: (path: String, isDirectory: Bool)]
    ) {
        // The kernel queues a rename's MOVED_TO right after its MOVED_FROM: any other event
        // means the pending ones left the tree, and they are reported before it, in order.
        // (Reported after it, `mv docs /elsewhere && mkdir docs` tombstoned the new docs.)
        if !pendingMoves.isEmpty && !(mask & UInt32(IN_MOVED_TO) != 0 && pendingMoves[cookie] != nil) {
            flush(&pendingMoves, into: &events)
        }
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // The lost events may have created, moved or replaced folders: watch the tree
            // again (a folder already watched keeps its descriptor and gets its current path)
            // before the rescan the overflow causes, so what lands in them later is seen.
            pendingMoves.removeAll()
            events += addTree(root)
            events.append(.overflow)
            return
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            if let path = paths.removeValue(forKey: wd) { count(path, by: -1) }
            return
        }
        guard let directory = paths[wd] else { return }
        if wd == rootDescriptor && mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_UNMOUNT)) != 0 {
            events.append(.rootGone(path: root))
            return
        }
        guard !name.isEmpty else { return }  // events about a watched folder itself are reported by its parent
        let path = directory + "/" + name
        let isDirectory = mask & UInt32(IN_ISDIR) != 0
        if mask & UInt32(IN_MOVED_FROM) != 0 {
            pendingMoves[cookie] = (path, isDirectory)
        } else if mask & UInt32(IN_MOVED_TO) != 0 {
            if let from = pendingMoves.removeValue(forKey: cookie) {
                if isDirectory {
                    // The watches the old name had follow it; a folder the old name had none
                    // for (a hidden staging folder, or one renamed while the first walk ran) is
                    // watched now. Already watched folders keep their descriptors.
                    renameTree(from: from.path, to: path)
                    if shouldWatch(path) { events += addTree(path) } else { unwatchTree(path) }
                    // The table is keyed by path: a folder made at the old name since has its
                    // watch labelled with the new name now; watching the old name again fixes it.
                    events += addTree(from.path)
                }
                events.append(.moved(from: from.path, to: path, isDirectory: isDirectory))
            } else if isDirectory {
                events += addTree(path)
                events.append(.directoryAppeared(path: path))
            } else {
                events.append(.changed(path: path))
            }
        } else if mask & UInt32(IN_CREATE) != 0 {
            if isDirectory {
                events += addTree(path)
                events.append(.directoryAppeared(path: path))
            } else {
                events.append(.changed(path: path))
            }
        } else if mask & UInt32(IN_DELETE) != 0 {
            events.append(isDirectory ? .directoryRemoved(path: path) : .removed(path: path))
        } else if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_ATTRIB)) != 0 && !isDirectory {
            events.append(.changed(path: path))
        }
    }

    /// Watches `path` and every folder under it; returns problems as events.
    @discardableResult
    private func addTree(_ path: String) -> [WatchEvent] {
        var problems: [WatchEvent] = []
        var stack = [path]
        while let directory = stack.popLast() {
            guard directory == root || shouldWatch(directory) else { continue }
            let group = budget?.group(directory)
            if let budget, let group, let limit = budget.limit, watchesPerGroup.withLock({ $0[group, default: 0] }) >= limit {
                // Its folders under it are past the budget too (those watched before keep their watches).
                report(directory, group: group, reason: budget.reason, into: &problems)
                continue
            }
            let wd = inotify_add_watch(descriptor, directory, InotifyWatcher.mask)
            if wd < 0 {
                let code = errno
                if code == ENOSPC {
                    report(
                        directory, group: group,
                        reason: "the inotify watch limit is reached; raise it with `sysctl fs.inotify.max_user_watches=524288` (and in /etc/sysctl.conf); until then folders past the limit are only seen by periodic rescans",
                        into: &problems)
                } else if code != ENOENT && code != ENOTDIR {
                    problems.append(.unwatched(path: directory, reason: String(cString: strerror(code))))
                }
                continue
            }
            // A folder watched already (a rescan of the tree) keeps its descriptor and counts once.
            if paths.updateValue(directory, forKey: wd) == nil { count(directory, by: 1) }
            if directory == root { rootDescriptor = wd }
            guard let listing = try? FileSystem.listDirectory(directory) else { continue }
            for name in listing.names where !IgnoreRules.isIgnoredName(name) {
                let child = directory + "/" + name
                if (try? FileSystem.status(child))?.type == .directory { stack.append(child) }
            }
        }
        return problems
    }

    /// Reports a folder left unwatched, once per group: every folder of a
    /// group reported is seen by rescans of that group.
    private func report(_ directory: String, group: String?, reason: String, into problems: inout [WatchEvent]) {
        guard reportedGroups.insert(group ?? "").inserted else { return }
        problems.append(.unwatched(path: directory, reason: reason))
    }

    private func count(_ path: String, by change: Int) {
        guard let group = budget?.group(path) else { return }
        watchesPerGroup.withLock { counts in
            let total = counts[group, default: 0] + change
            counts[group] = total > 0 ? total : nil
        }
    }

    private func renameTree(from old: String, to new: String) {
        for (wd, path) in paths where path == old || path.hasPrefix(old + "/") {
            let renamed = new + path.dropFirst(old.count)
            paths[wd] = renamed
            // A folder moved to another tenant's folder counts against that tenant now.
            count(path, by: -1)
            count(renamed, by: 1)
        }
    }

    private func unwatchTree(_ path: String) {
        for (wd, watched) in paths where watched == path || watched.hasPrefix(path + "/") {
            inotify_rm_watch(descriptor, wd)
            paths.removeValue(forKey: wd)
            count(watched, by: -1)
        }
    }
}
#endif
