#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SluiceCore

/// The data directory: the SQLite store and the worker lock.
public enum DataDirectory {
    /// Creates the directory if needed, readable by its owner only (0700): it
    /// holds every tenant's content and the API keys' hashes. An existing
    /// directory keeps the mode its owner gave it.
    public static func prepare(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SluiceError(.configuration, "cannot create the data directory \(path): \(error.localizedDescription); choose another with --data-dir or SLUICE_DATA_DIR")
        }
    }

    /// Refuses a data directory inside a watched root, where Sluice would index its own store.
    public static func checkOutside(_ dataDirectory: String, root: String) throws {
        let data = FileManager.default.fileExists(atPath: dataDirectory)
            ? URL(fileURLWithPath: dataDirectory).resolvingSymlinksInPath().path : dataDirectory
        let rootPath = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        if data == rootPath || data.hasPrefix(rootPath + "/") {
            throw SluiceError(
                .configuration,
                "the data directory \(dataDirectory) is inside \(root), the folder being indexed; choose one outside it with --data-dir or SLUICE_DATA_DIR")
        }
    }
}

/// An exclusive lock on a data directory: only one process runs workers on
/// an embedded store. Held until `release()` or the process ends (the kernel
/// drops `flock` locks of a dead process, so a crash never leaves it stuck).
public final class WorkerLock: @unchecked Sendable {
    private var descriptor: Int32

    public init(dataDirectory: String) throws {
        let path = dataDirectory + "/worker.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SluiceError(.configuration, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            descriptor = -1
            throw SluiceError(
                .locked,
                "another Sluice process\(holder.map { " (\($0))" } ?? "") is already running workers on \(dataDirectory); stop it first, or use another --data-dir. Read-only commands (status, search, export) work meanwhile.")
        }
        let note = "pid \(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { write(descriptor, $0, strlen($0)) }
    }

    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
