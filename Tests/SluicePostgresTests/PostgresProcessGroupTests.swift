import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// The processes running workers on one schema: one with other settings than
/// a live member's is refused; a member that left, or has not been seen for
/// `liveWithin`, no longer counts.
@Suite struct PostgresProcessGroupTests {
    @Test func aProcessWithOtherSettingsIsRefusedWhileOneWithTheOldOnesLives() async throws {
        let clock = ManualClock()
        let location = try TestDatabase.freshLocation()
        func process(_ owner: String) async throws -> PostgresStore {
            try await PostgresStore.open(location, clock: clock, options: PostgresStore.Options(maximumConnections: 2, owner: owner))
        }
        let (a, b, c) = (try await process("host-a:/data"), try await process("host-b:/data"), try await process("host-c:/data"))
        let live: Duration = .seconds(30)
        #expect(try await a.join(fingerprint: "model-1", liveWithin: live).isEmpty)
        let refused = try await b.join(fingerprint: "model-2", liveWithin: live)
        #expect(refused.map(\.owner) == ["host-a:/data"] && refused.first?.fingerprint == "model-1")
        #expect(try await b.join(fingerprint: "model-1", liveWithin: live).isEmpty, "the same settings join")

        try await a.leave()
        clock.advance(by: .seconds(20))
        try await b.heartbeat(fingerprint: "model-1")
        clock.advance(by: .seconds(20))
        #expect(try await c.join(fingerprint: "model-2", liveWithin: live).map(\.owner) == ["host-b:/data"], "b is alive by its heartbeat")
        clock.advance(by: .seconds(11))
        #expect(try await c.join(fingerprint: "model-2", liveWithin: live).isEmpty, "b was not seen for 31 s: gone")
        #expect(try await b.join(fingerprint: "model-1", liveWithin: live).map(\.owner) == ["host-c:/data"], "and now c's settings are the group's")
        for store in [a, b, c] { await store.close() }
    }
}
