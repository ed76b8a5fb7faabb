/// What the file-system watcher saw, with absolute paths.
public enum WatchEvent: Sendable, Equatable {
    /// A file was written, created, had its attributes changed, or was moved in.
    case changed(path: String)
    /// A file was deleted.
    case removed(path: String)
    /// A file or folder was renamed inside the watched tree.
    case moved(from: String, to: String, isDirectory: Bool)
    /// A file or folder left the watched tree (moved elsewhere).
    case movedOut(path: String, isDirectory: Bool)
    /// A folder appeared (created or moved in). It is watched now; its
    /// contents must be scanned, since files may have arrived before the watch.
    case directoryAppeared(path: String)
    /// A folder was deleted.
    case directoryRemoved(path: String)
    /// The kernel's event queue overflowed: events were lost, rescan.
    case overflow
    /// The watched root itself was deleted, moved or unmounted.
    case rootGone(path: String)
    /// A folder could not be watched (the inotify watch limit): it is only
    /// seen by periodic rescans until the limit is raised.
    case unwatched(path: String, reason: String)
}

/// A source of watch events.
///
/// The seam between the inotify code and the intake, so that tests can feed
/// events (an overflow, say) without provoking the kernel.
public protocol WatchEventSource: Sendable {
    /// Starts delivering events into a buffer, until `stop()`.
    func events() -> EventBuffer
    func stop()
}

extension WatchEvent {
    /// The files an event is about (not folders): what a change to a file such as `.sluiceignore` shows in.
    public var paths: [String] {
        switch self {
        case .changed(let path), .removed(let path): [path]
        case .moved(let from, let to, false): [from, to]
        case .movedOut(let path, false): [path]
        default: []
        }
    }
}
