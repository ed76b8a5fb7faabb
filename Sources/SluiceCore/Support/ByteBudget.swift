/// A counting semaphore over bytes held in memory at once
/// (SLUICE_MAX_INFLIGHT_BYTES), so many large files cannot exhaust memory.
///
/// A request larger than the whole budget is granted when nothing else is
/// held, so one big file still gets through, alone.
public actor ByteBudget {
    public let capacity: Int
    private var inUse = 0
    private var waiters: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits until `bytes` fit in the budget, then holds them.
    public func acquire(_ bytes: Int) async {
        let bytes = max(0, bytes)
        if waiters.isEmpty && fits(bytes) {
            inUse += bytes
            return
        }
        await withCheckedContinuation { continuation in
            waiters.append((bytes, continuation))
        }
    }

    /// Holds `bytes` if they fit now without waiting; returns whether it did.
    public func tryAcquire(_ bytes: Int) -> Bool {
        let bytes = max(0, bytes)
        guard waiters.isEmpty && fits(bytes) else { return false }
        inUse += bytes
        return true
    }

    public func release(_ bytes: Int) {
        inUse -= max(0, bytes)
        while let first = waiters.first, fits(first.bytes) {
            waiters.removeFirst()
            inUse += first.bytes
            first.continuation.resume()
        }
    }

    public var bytesInUse: Int { inUse }

    private func fits(_ bytes: Int) -> Bool {
        inUse == 0 || inUse + bytes <= capacity
    }

    /// Holds `bytes` while `body` runs.
    public nonisolated func withBytes<T: Sendable>(_ bytes: Int, _ body: () async throws -> T) async rethrows -> T {
        await acquire(bytes)
        do {
            let result = try await body()
            await release(bytes)
            return result
        } catch {
            await release(bytes)
            throw error
        }
    }
}
