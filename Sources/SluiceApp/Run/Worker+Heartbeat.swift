import SluiceCore

extension Worker {
    /// Renews the leases still being worked on until none is left (or the batch ends).
    func heartbeat(_ working: WorkingLeases) async throws {
        while true {
            do {
                try await clock.sleep(until: clock.now() + leaseDuration / 3)
            } catch {
                return
            }
            let live = working.current
            guard !live.isEmpty else { return }
            let lost = try await queue.renew(live, duration: leaseDuration)
            if !lost.isEmpty {
                observer.leasesLost(lost.count)
                working.done(Array(lost))
            }
        }
    }
}
