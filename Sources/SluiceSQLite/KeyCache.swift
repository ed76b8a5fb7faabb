import Foundation
import SluiceCore
import Synchronization

/// The active API keys, held in memory and reloaded as soon as any process
/// changes them.
///
/// Every HTTP request needs the keys; reading them from SQLite each time cost
/// more than the rest of a small publish. Whoever changes the keys (`sluice
/// keys create` / `revoke`, in any process) replaces a stamp file next to the
/// store after the commit, and each lookup compares the stamp's identity
/// (inode, size, modification time in nanoseconds) with the one it loaded
/// under: one `stat` per request, and a revoked key stops working on the next
/// request of a running server.
final class KeyCache: Sendable {
    typealias Keys = [Data: Principal]

    private struct Stamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private let stampPath: String
    private let loaded = Mutex<(stamp: Stamp?, keys: Keys)?>(nil)

    init(storePath: String) {
        stampPath = storePath + "-keys-changed"
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
        var info = stat()
        guard stat(stampPath, &info) == 0 else { return nil }
        return Stamp(
            inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: info.st_mtim.tv_sec,
            nanoseconds: info.st_mtim.tv_nsec)
    }
}
