import Logging
import SluiceCore

/// What a process that runs workers holds while it does: the data
/// directory's worker lock and, on a shared store, its place among the
/// processes that share it (`ProcessGroup`), kept by a heartbeat. `end()`
/// leaves the group, so a process with other settings may start at once; a
/// process that dies leaves it `liveWithin` after its last heartbeat.
final class WorkerProcess: Sendable {
    static let liveWithin: Duration = .seconds(30)
    let lock: WorkerLock
    private let group: (any ProcessGroup)?
    private let heartbeat: Task<Void, Never>?

    /// Takes the lock and joins the store's group, if it has one: refused
    /// (exit 2) when a live process of the group runs with other settings.
    static func begin(_ runtime: SluiceRuntime) async throws -> WorkerProcess {
        let lock = try WorkerLock(dataDirectory: runtime.configuration.absoluteDataDirectory)
        guard let group = runtime.store as? any ProcessGroup else { return WorkerProcess(lock: lock, group: nil, heartbeat: nil) }
        let fingerprint = runtime.settingsFingerprint
        let others: [GroupMember]
        do {
            others = try await group.join(fingerprint: fingerprint, liveWithin: liveWithin)
        } catch {
            lock.release()
            throw error
        }
        guard others.isEmpty else {
            lock.release()
            let list = others.map { "\($0.owner) with \($0.fingerprint)" }.joined(separator: "; ")
            throw SluiceError(
                .configuration,
                "other Sluice processes on this store index with other settings (\(list)); this one would use \(fingerprint). Processes sharing a store must index alike, or they would re-index each other's documents and mix two models' vectors: stop those first (a stopped process leaves at once, one that died after \(Int(liveWithin.seconds)) s), or give this one a group of its own with another schema (?schema=NAME in --store)")
        }
        let logger = runtime.logger
        let heartbeat = Task {
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: liveWithin / 3)
                if Task.isCancelled { return }
                do {
                    try await group.heartbeat(fingerprint: fingerprint)
                    failing = false
                } catch {
                    // The store's outage is said by the workers; this says only what it costs here.
                    if !failing { logger.debug("could not say this process is alive: \(SluiceError.describe(error))") }
                    failing = true
                }
            }
        }
        return WorkerProcess(lock: lock, group: group, heartbeat: heartbeat)
    }

    private init(lock: WorkerLock, group: (any ProcessGroup)?, heartbeat: Task<Void, Never>?) {
        self.lock = lock
        self.group = group
        self.heartbeat = heartbeat
    }

    /// Leaves the group and releases the lock.
    func end() async {
        heartbeat?.cancel()
        try? await group?.leave()
        lock.release()
    }

    deinit { heartbeat?.cancel() }
}
