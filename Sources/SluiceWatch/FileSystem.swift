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
        let type: EntryType
        switch info.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symlink
        default: type = .other
        }
        let stat = FileStat(
            size: Int64(info.st_size),
            mtimeNanos: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            ctimeNanos: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            inode: UInt64(info.st_ino))
        return Status(type: type, stat: stat)
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

    /// Reads a whole file. Throws `.io` (not found: `.notFound`).
    public static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ioError(errno, "opening \(path)") }
        defer { close(descriptor) }
        var info = stat()
        let expected = fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
        var bytes = [UInt8](repeating: 0, count: max(expected, 0))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(65_536, bytes.count / 2))) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(errno, "reading \(path)")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// SHA-256 of a file, streamed in 1 MiB reads so memory stays flat.
    public static func hashFile(_ path: String, buffer: inout [UInt8]) throws -> ContentHash {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ioError(errno, "opening \(path)") }
        defer { close(descriptor) }
        if buffer.count < 1 << 20 { buffer = [UInt8](repeating: 0, count: 1 << 20) }
        var hasher = StreamingHasher()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(errno, "reading \(path)")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize()
    }

    /// The target a symbolic link points to, as written.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
