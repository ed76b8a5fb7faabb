#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// Opening what lies beneath a tenant folder without ever following a link.
///
/// A tenant controls every name under its folder, and can swap a folder for a
/// symbolic link between the moment Sluice lists it and the moment a worker
/// reads it. Opening a path in one call would follow that link (to another
/// tenant, or anywhere the process can read). Here every component is opened
/// relative to the one before it with `O_NOFOLLOW`, `.` and `..` are refused,
/// and the last one must be a regular file (or a folder, for listings): what
/// is opened is inside the root by construction, whatever changes meanwhile.
extension FileSystem {
    /// What opening a path beneath a root found.
    public enum Opening {
        case opened(OpenedFile)
        /// Nothing there (or a component is not a folder).
        case missing
        /// The path is, or lies under, a symbolic link: never followed.
        case symbolicLink
        /// Something other than a regular file (a folder, a FIFO, a device, a socket).
        case notRegularFile
    }

    /// Opens the regular file at `path` (absolute, under `root`) for reading.
    /// FIFOs and devices are never opened for reading (no hang, no side effect).
    public static func openFile(_ path: String, beneath root: String) throws -> Opening {
        guard let components = relativeComponents(path, beneath: root), let name = components.last else {
            return .notRegularFile
        }
        let parent = try openDirectory(components.dropLast(), beneath: root, describing: path)
        guard let parent = parent.descriptor else { return parent.failure }
        defer { close(parent) }
        // Look before opening: a FIFO or a device is never opened (no hang, no side effect).
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return try failure(errno, path) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return .symbolicLink
        default: return .notRegularFile
        }
        let descriptor = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { return try failure(errno, path, parent: parent, name: name) }
        let file = OpenedFile(descriptor: descriptor, path: path)
        // Swapped between the probe and the open: check what was opened.
        guard try file.status().type == .regular else { return .notRegularFile }
        return .opened(file)
    }

    /// The entries of the folder at `path` (`root` itself or a folder under
    /// it), each with its own status (links not followed; nil when it
    /// vanished meanwhile). Names that are not valid UTF-8 come back in
    /// `invalidNames`. Throws `.io` when the folder cannot be listed, and
    /// when it is, or lies under, a link.
    public static func listDirectory(
        _ path: String, beneath root: String
    ) throws -> (entries: [(name: String, status: Status?)], invalidNames: [String]) {
        guard let components = relativeComponents(path, beneath: root) else {
            throw SluiceError(.io, "listing \(path): not a folder under \(root)")
        }
        let opened = try openDirectory(components[...], beneath: root, describing: path)
        guard let descriptor = opened.descriptor else {
            if case .symbolicLink = opened.failure {
                throw SluiceError(.io, "listing \(path): it is, or lies under, a symbolic link, which is never followed")
            }
            throw ioError(ENOENT, "listing \(path)")
        }
        guard let directory = fdopendir(descriptor) else {
            let code = errno
            close(descriptor)
            throw ioError(code, "listing \(path)")
        }
        defer { closedir(directory) }
        let directoryDescriptor = dirfd(directory)
        var entries: [(name: String, status: Status?)] = []
        var invalid: [String] = []
        while let entry = readdir(directory) {
            let (name, lossy) = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) {
                    (String(validatingCString: $0), String(cString: $0))
                }
            }
            guard let name else {
                invalid.append(lossy)
                continue
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            let status = fstatat(directoryDescriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? Status(info) : nil
            entries.append((name, status))
        }
        return (entries, invalid)
    }

    /// Reads a small regular file beneath `root`: nil when it is missing;
    /// throws `.invalidInput` when it is a link or not a regular file, `.tooLarge` when larger than `limit`.
    public static func readSmallFile(_ path: String, beneath root: String, limit: Int) throws -> [UInt8]? {
        switch try openFile(path, beneath: root) {
        case .missing:
            return nil
        case .symbolicLink:
            throw SluiceError(.invalidInput, "\(path) is a symbolic link, which is never followed; replace it with a file")
        case .notRegularFile:
            throw SluiceError(.invalidInput, "\(path) is not a regular file; replace it with a file")
        case .opened(let file):
            return try file.readAll(limit: limit)
        }
    }

    /// The components of `path` below `root`, or nil when `path` is not under it
    /// or names `.` or `..` anywhere (paths are built from listings, never given by tenants).
    static func relativeComponents(_ path: String, beneath root: String) -> [String]? {
        guard isWithin(path, root: root) else { return nil }
        let components = path.dropFirst(root.count).split(separator: "/").map(String.init)
        guard !components.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return components
    }

    /// Opens `root`, then each component below it, as folders without following
    /// links: the folder's descriptor (the caller closes it), or why there is none.
    private static func openDirectory(
        _ components: ArraySlice<String>, beneath root: String, describing path: String
    ) throws -> (descriptor: Int32?, failure: Opening) {
        var descriptor = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return (nil, try failure(errno, path)) }
        for component in components {
            let next = openat(descriptor, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                let code = errno
                defer { close(descriptor) }
                return (nil, try failure(code, path, parent: descriptor, name: component))
            }
            close(descriptor)
            descriptor = next
        }
        return (descriptor, .missing)
    }

    /// What a failed open with `O_NOFOLLOW` means. ELOOP is a link; so is
    /// ENOTDIR when the entry (looked at again without following) is one.
    private static func failure(_ code: Int32, _ path: String, parent: Int32? = nil, name: String? = nil) throws -> Opening {
        switch code {
        case ENOENT: return .missing
        case ELOOP: return .symbolicLink
        case ENOTDIR:
            var info = stat()
            if let parent, let name, fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0,
                info.st_mode & S_IFMT == S_IFLNK
            {
                return .symbolicLink
            }
            return .missing
        default: throw ioError(code, "opening \(path)")
        }
    }
}

extension FileSystem.Status {
    init(_ info: stat) {
        let type: FileSystem.EntryType
        switch info.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symlink
        default: type = .other
        }
        self.init(
            type: type,
            stat: FileStat(
                size: Int64(info.st_size),
                mtimeNanos: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                ctimeNanos: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
                inode: UInt64(info.st_ino)))
    }
}

/// A file opened for reading; closed when released.
public final class OpenedFile {
    let descriptor: Int32
    /// The path it was opened by, for messages.
    public let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// The opened file's own status.
    public func status() throws -> FileSystem.Status {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystem.ioError(errno, "reading the status of \(path)") }
        return FileSystem.Status(info)
    }

    /// Reads the whole file; throws `.tooLarge` past `limit` bytes (the
    /// size may grow while it is read, so the limit is checked on what is read).
    public func readAll(limit: Int = .max) throws -> [UInt8] {
        let expected = Int((try? status().stat.size) ?? 0)
        guard expected <= limit else { throw tooLarge(limit) }
        var bytes = [UInt8](repeating: 0, count: max(expected, 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard filled <= limit else { throw tooLarge(limit) }
                bytes.append(contentsOf: repeatElement(0, count: max(65_536, bytes.count / 2)))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystem.ioError(errno, "reading \(path)")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw tooLarge(limit) }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// SHA-256 of the file, streamed in 1 MiB reads so memory stays flat.
    public func hash(buffer: inout [UInt8]) throws -> ContentHash {
        if buffer.count < 1 << 20 { buffer = [UInt8](repeating: 0, count: 1 << 20) }
        var hasher = StreamingHasher()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystem.ioError(errno, "reading \(path)")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize()
    }

    private func tooLarge(_ limit: Int) -> SluiceError {
        SluiceError(.tooLarge, "\(path) is larger than the \(limit) bytes read of such a file; make it smaller")
    }
}
