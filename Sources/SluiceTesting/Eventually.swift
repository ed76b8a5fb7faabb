/// Polls `condition` until it holds or `timeout` has passed, and says whether
/// it held. For tests that wait on real processes, sockets and timers: a
/// fixed sleep guesses how fast the machine is (and a loaded CI machine is
/// slower than a quiet one); waiting for the state itself does not.
public func eventually(
    within timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}
