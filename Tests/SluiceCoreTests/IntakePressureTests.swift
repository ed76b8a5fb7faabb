@testable import SluiceCore
import SluiceTesting
import Testing

/// Indexing gives way to the HTTP intake while many documents are being
/// accepted at once: many single publishes, or one batch.
@Suite struct IntakePressureTests {
    @Test func oneBatchOfManyDocumentsMakesTheIntakeBusyAndItCalmsAfterThePeriod() async throws {
        let clock = ManualClock()
        let intake = IntakePressure(busyAt: 8, calmPeriod: .milliseconds(100), clock: clock)
        await intake.accepting(documents: 7) {
            #expect(intake.calmAt(clock.now()) == nil, "seven documents: calm")
        }
        await intake.accepting(documents: 500) {
            #expect(intake.calmAt(clock.now()) == clock.now() + .milliseconds(100), "a batch of 500: busy while it is accepted")
        }
        let accepted = clock.now()
        #expect(intake.calmAt(clock.now()) == accepted + .milliseconds(100), "and for the calm period after")
        clock.advance(by: .milliseconds(100))
        #expect(intake.calmAt(clock.now()) == nil)
    }

    @Test func singlePublishesCountOneEachUntilThereAreEnough() async throws {
        let clock = ManualClock()
        let intake = IntakePressure(busyAt: 3, calmPeriod: .milliseconds(100), clock: clock)
        await intake.accepting {
            await intake.accepting {
                #expect(intake.calmAt(clock.now()) == nil, "two in flight")
                await intake.accepting {
                    #expect(intake.calmAt(clock.now()) != nil, "three in flight")
                }
            }
        }
    }
}
