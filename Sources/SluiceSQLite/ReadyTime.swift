import SluiceCore

/// The earliest time at which work queued by one transaction becomes ready.
struct ReadyTime: Sendable {
    private(set) var earliest: Timestamp?

    mutating func note(_ time: Timestamp) {
        earliest = min(earliest ?? time, time)
    }
}
