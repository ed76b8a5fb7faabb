import SluiceCore
import SluiceTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct DoorbellTests {
    let clock = ManualClock()
    let bell = Doorbell()

    /// Waits (in real time, briefly) until the waiter sleeps until `deadline`.
    func settled(sleepingUntil deadline: Timestamp) async {
        while !(bell.waiting == 1 && clock.sleepers == [deadline]) {
            await Task.yield()
        }
    }

    func waiter(until deadline: Timestamp) -> Task<Timestamp, Never> {
        Task { [clock, bell] in
            await bell.wait(until: deadline, clock: clock)
            return clock.now()
        }
    }

    @Test func aRingWithoutATimeWakesAtOnce() async {
        let start = clock.now()
        let task = waiter(until: start + .seconds(5))
        await settled(sleepingUntil: start + .seconds(5))
        bell.ring()
        #expect(await task.value == start)
    }

    @Test func workReadyAfterTheDeadlineWakesNobody() async {
        let start = clock.now()
        let task = waiter(until: start + .seconds(1))
        await settled(sleepingUntil: start + .seconds(1))
        bell.ring(readyAt: start + .seconds(2))
        #expect(bell.waiting == 1)
        clock.advance(by: .seconds(1))
        #expect(await task.value == start + .seconds(1))
    }

    @Test func workReadySoonerMovesTheWakeUpForward() async {
        let start = clock.now()
        let task = waiter(until: start + .seconds(5))
        await settled(sleepingUntil: start + .seconds(5))
        bell.ring(readyAt: start + .milliseconds(50))
        await settled(sleepingUntil: start + .milliseconds(50))
        // Later work does not wake it again.
        bell.ring(readyAt: start + .milliseconds(60))
        #expect(bell.waiting == 1)
        clock.advance(by: .milliseconds(50))
        #expect(await task.value == start + .milliseconds(50))
    }

    @Test func aRingBetweenTicketAndWaitIsNotMissed() async {
        let start = clock.now()
        let ticket = bell.ticket()
        bell.ring(readyAt: start + .seconds(10))
        await bell.wait(until: start + .seconds(5), clock: clock, since: ticket)
        #expect(clock.now() == start)
    }
}
