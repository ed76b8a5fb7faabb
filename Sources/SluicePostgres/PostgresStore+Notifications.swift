import Foundation
import PostgresNIO
import SluiceCore

/// Other processes' work, heard through PostgreSQL's `LISTEN/NOTIFY`: a
/// transaction that queues work or completes it notifies, on commit, the
/// schema's channel, and every listening store rings its own doorbells, so
/// an idle worker of any process wakes within milliseconds of new work and
/// an API request waiting for its document (`?wait=`) hears when another
/// process's worker finished it.
extension PostgresStore {
    /// What a notification says.
    enum Notice: Equatable {
        /// Work becomes ready this long after the notifying transaction's time.
        case ready(after: Duration)
        /// Documents were completed.
        case completed

        var payload: String {
            switch self {
            case .ready(let after): "ready \(max(0, after.milliseconds))"
            case .completed: "completed"
            }
        }

        init?(payload: String) {
            let words = payload.split(separator: " ")
            switch words.first {
            case "ready": self = .ready(after: .milliseconds(words.count > 1 ? Int64(words[1]) ?? 0 : 0))
            case "completed": self = .completed
            default: return nil
            }
        }
    }

    /// The schema's channel (a channel name is at most 63 bytes; a schema name at most 63 too).
    var channel: String { "sluice_" + String(location.schema.prefix(56)) }

    /// Sends `notice` to every listening store when the transaction commits.
    func notify(_ connection: PostgresConnection, _ notice: Notice) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(notice.payload))", logger: logger)
    }

    /// Listens until the store closes, reconnecting a second after the
    /// connection fails (new work is still found by the workers' poll meanwhile).
    func listen() async {
        var failing = false
        while !Task.isCancelled {
            if reachability.silence != nil {
                // The store's watch says when it is back; the pool is not asked meanwhile.
                failing = true
                try? await Task.sleep(for: Self.reachabilityRetry)
                continue
            }
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: self.channel) { notifications in
                        if failing {
                            failing = false
                            self.logger.notice("hearing other processes' work again")
                        }
                        for try await notification in notifications { self.heard(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                // Once per outage: the store's other users say how it goes meanwhile.
                if !failing {
                    logger.warning("\(storageError("listening for other processes' work", error).message); idle workers poll until it is back")
                }
                failing = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func heard(_ payload: String) {
        switch Notice(payload: payload) {
        case .ready(let after):
            readiness.ring(readyAt: after == .zero ? nil : (clock ?? SystemClock()).now() + after)
        case .completed:
            completions.ring()
        case nil:
            logger.debug("an unknown notification on \(channel): \(payload)")
        }
    }
}
