#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// Thin, blocking wrappers over the POSIX file calls Sluice needs. Callers
/// run them off the cooperative thread pool (see `BlockingIO`).
public enum FileSystem {
    public enum EntryType: Sendable, Equatable {
        case regular
        case directory
        case symlink
        case other
    }

    public struct Status: Sendable, Equatable {
        public var type: EntryType
        public var stat: FileStat
    }

    /// `lstat(2)` (or `stat(2)` when `followLinks`); nil when the path does not exist.
    public static func status(_ path: String, followLinks: Bool = false) throws -> Status? {
        var info = stat()
        let result = followLinks ? stat(path, &info) : lstat(path, &info)
        if result != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw ioError(code, "reading the status of \(path)")
        }
        return Status(info)
    }

    /// The canonical absolute path (symlinks resolved); nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` is `root` or lies under it (both canonical).
    public static func isWithin(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// A directory's entry names, without `.` and `..`. Names that are not
    /// valid UTF-8 are returned in `invalidNames` (lossily decoded) instead.
    public static func listDirectory(_ path: String) throws -> (names: [String], invalidNames: [String]) {
        guard let directory = opendir(path) else {
            throw ioError(errno, "listing \(path)")
        }
        defer { closedir(directory) }
        var names: [String] = []
        var invalid: [String] = []
        while let entry = readdir(directory) {
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
            }
            guard let name else {
                let lossy = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                invalid.append(lossy)
                continue
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return (names, invalid)
    }

    static func ioError(_ code: Int32, _ doing: String) -> SluiceError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT:
            return SluiceError(.notFound, "\(doing): \(reason)")
        case EACCES, EPERM:
            return SluiceError(.io, "\(doing): \(reason); give Sluice's user read access and run again")
        case EMFILE, ENFILE, ENOMEM, EIO, EAGAIN, EINTR:
            return SluiceError(.io, "\(doing): \(reason)", isRetryable: true)
        default:
            return SluiceError(.io, "\(doing): \(reason)")
        }
    }
}
