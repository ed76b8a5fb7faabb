#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// Which document each worker of this process is reading and extracting
/// right now, kept in a small file of the data directory (`inflight`).
///
/// That is the one stage where a single document's content can kill or hang
/// the process (embedding and writing are the batch's). When the process
/// dies, the next one to take the worker lock reads this file and counts a
/// lease expiry against those documents only; the rest of their batches are
/// released without blame (`JobQueue.releaseAbandonedLeases(blaming:)`).
/// Each mark is one `pwrite` into the worker's own slot, without `fsync`:
/// the kernel keeps it when the process dies, which is the case it is for.
public final class InflightRecord: Sendable {
    /// A lease token (a UUID) padded to a slot.
    static let slotBytes = 64
    private let descriptor: Int32
    let path: String

    public init(dataDirectory: String) throws {
        path = dataDirectory + "/inflight"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SluiceError(.configuration, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// The tokens marked when the last process stopped.
    public func marked() -> Set<String> {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0, info.st_size <= 1 << 20 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { return [] }
        var tokens: Set<String> = []
        for start in stride(from: 0, to: count, by: InflightRecord.slotBytes) {
            let slot = bytes[start..<min(start + InflightRecord.slotBytes, count)].prefix { $0 != 0 }
            if !slot.isEmpty { tokens.insert(String(decoding: slot, as: UTF8.self)) }
        }
        return tokens
    }

    /// Forgets every mark (at start, once the marks were read).
    public func clearAll() {
        _ = ftruncate(descriptor, 0)
    }

    /// `slot` is working on the lease `token`.
    public func mark(_ slot: Int, _ token: String) {
        var bytes = [UInt8](repeating: 0, count: InflightRecord.slotBytes)
        for (index, byte) in token.utf8.prefix(InflightRecord.slotBytes).enumerated() { bytes[index] = byte }
        write(slot, bytes)
    }

    /// `slot` is done with the document it was working on.
    public func clear(_ slot: Int) {
        write(slot, [UInt8](repeating: 0, count: InflightRecord.slotBytes))
    }

    private func write(_ slot: Int, _ bytes: [UInt8]) {
        // A mark that cannot be written costs only the blame's precision, never the work.
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, $0.count, off_t(slot * InflightRecord.slotBytes)) }
    }
}
