import Foundation
import SluiceCore
import Synchronization

/// The active API keys, held in memory and reloaded as soon as any process
/// changes them.
///
/// Every HTTP request needs the keys; reading them from SQLite each time cost
/// more than the rest of a small publish. Whoever changes the keys (`sluice
/// keys create` / `revoke`, in any process) renames a new stamp file over the
/// one next to the store after the commit, and each lookup compares the
/// stamp's identity (inode, links, size, modification time in nanoseconds)
/// with the one it loaded under, so a revoked key stops working on the next
/// request of a running server. The stamp is held open and checked with
/// `fstat`, a third of the cost of a `stat` of its path: the file renamed
/// over it (or a deletion) leaves the one held with no link, and the path is
/// opened again.
final class KeyCache: Sendable {
    typealias Keys = [Data: Principal]

    fileprivate struct Stamp: Equatable {
        var inode: UInt64
        var links: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private let stampPath: String
    private let loaded = Mutex<(stamp: Stamp?, keys: Keys)?>(nil)
    /// The stamp file held open (-1: none); only used under its lock, so no
    /// descriptor is closed while another thread reads it.
    private let held = Mutex<Int32>(-1)
    /// Whether to make an empty stamp when there is none, so that there is one
    /// to hold (not for a store opened read-only).
    private let createsStamp: Bool

    init(storePath: String, createsStamp: Bool) {
        stampPath = storePath + "-keys-changed"
        self.createsStamp = createsStamp
    }

    deinit {
        held.withLock { if $0 >= 0 { close($0) } }
    }

    /// The active keys by SHA-256 of their secret; `load` reads them from the store.
    func keys(load: () async throws -> Keys) async throws -> Keys {
        let stamp = currentStamp()
        if let cached = loaded.withLock({ $0 }), cached.stamp == stamp { return cached.keys }
        // Read the stamp before the keys: a change during the load shows as a new stamp next time.
        let keys = try await load()
        loaded.withLock { $0 = (stamp, keys) }
        return keys
    }

    /// Marks the keys as changed, for every process (call after the commit).
    func keysChanged() throws {
        let token = UUID().uuidString
        let temporary = stampPath + ".\(token)"
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
            else { throw SluiceError(.storage, "cannot write \(temporary)") }
            guard rename(temporary, stampPath) == 0 else { throw SluiceError(.storage, String(cString: strerror(errno))) }
        } catch {
            unlink(temporary)
            throw SluiceError(
                .storage,
                "the key change is saved, but running servers could not be told (\(stampPath): \(error)); restart them so they see it")
        }
        loaded.withLock { $0 = nil }
    }

    private func currentStamp() -> Stamp? {
        held.withLock { held in
            var info = stat()
            if held >= 0 {
                if fstat(held, &info) == 0 && info.st_nlink > 0 { return Stamp(info) }
                close(held)
            }
            held = open(stampPath, O_RDONLY | O_CLOEXEC | (createsStamp ? O_CREAT : 0), 0o600)
            guard held >= 0, fstat(held, &info) == 0 else { return nil }
            return Stamp(info)
        }
    }
}

extension KeyCache.Stamp {
    init(_ info: stat) {
        self.init(
            inode: UInt64(info.st_ino), links: UInt64(info.st_nlink), size: Int64(info.st_size), seconds: info.st_mtim.tv_sec,
            nanoseconds: info.st_mtim.tv_nsec)
    }
}
