import Foundation
import PostgresNIO
import SluiceCore
import Synchronization

/// Other processes' work, heard through PostgreSQL's `LISTEN/NOTIFY`: once
/// a transaction that queues work or completes it has committed, the store
/// announces it on the schema's channel, and every listening store rings its
/// own doorbells, so an idle worker of any process wakes within milliseconds
/// of new work and an API request waiting for its document (`?wait=`) hears
/// when another process's worker finished it.
///
/// Announcements go after the commit, in a statement of their own, and
/// those made while one is being sent go together in the next: a `NOTIFY`
/// inside a transaction takes a lock that every notifying commit in the
/// database waits for, through its WAL flush, so two processes' completions
/// committed one at a time (measured: 10% of the throughput of two
/// processes). A process that dies between a commit and its announcement
/// costs the others a poll (5 s at most), nothing more.
final class Announcements: Sendable {
    struct State {
        /// The soonest work announced but not sent becomes ready, after the transaction's time.
        var ready: Duration?
        var completed = false
        var sending = false
    }

    let state = Mutex(State())
}

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

    /// Tells every listening store of `notice`, soon after this call (call it once the work is committed).
    func announce(_ notice: Notice) {
        let starts = announcements.state.withLock { state -> Bool in
            switch notice {
            case .ready(let after): state.ready = min(state.ready ?? after, after)
            case .completed: state.completed = true
            }
            if state.sending { return false }
            state.sending = true
            return true
        }
        if starts { Task { await self.sendAnnouncements() } }
    }

    /// Sends what was announced, and what is announced meanwhile, until nothing is left.
    private func sendAnnouncements() async {
        while true {
            let notices = announcements.state.withLock { state -> [Notice] in
                let notices = [state.ready.map(Notice.ready), state.completed ? .completed : nil].compactMap { $0 }
                (state.ready, state.completed) = (nil, false)
                if notices.isEmpty { state.sending = false }
                return notices
            }
            guard !notices.isEmpty else { return }
            do {
                try await reading("telling other processes of new work") { connection in
                    for notice in notices {
                        try await connection.query("SELECT pg_notify(\(self.channel), \(notice.payload))", logger: self.logger)
                    }
                }
            } catch {
                // The others find the work by polling meanwhile; an outage is said by the store's other users.
                logger.debug("could not tell other processes of new work: \(SluiceError.describe(error))")
            }
        }
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
