import SluiceCore
import Testing

/// The onboarding of many tenants at once, taken together.
@Suite struct OnboardingProgressTests {
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    @Test func overallKeepsTenantsThatFinishedDuringTheWave() throws {
        let onboardings = [
            // Finished an hour before: another wave, left out.
            OnboardingProgress(tenant: "old", startedAt: start - .seconds(7200), total: 50, processed: 50, failed: 0, pending: 0, filesPerMinute: 0, finishedAt: start - .seconds(3600)),
            // Queued first, finished while the others ran: still part of the whole.
            OnboardingProgress(tenant: "acme", startedAt: start, total: 2000, processed: 1990, failed: 10, pending: 0, filesPerMinute: 600, finishedAt: start + .seconds(3)),
            OnboardingProgress(tenant: "globex", startedAt: start + .milliseconds(5), total: 2000, processed: 500, failed: 0, pending: 1500, filesPerMinute: 240),
            OnboardingProgress(tenant: "initech", startedAt: start + .milliseconds(9), total: 2000, processed: 0, failed: 0, pending: 2000, filesPerMinute: 0),
        ]
        let wave = OnboardingProgress.wave(onboardings)
        #expect(wave.map(\.tenant) == ["acme", "globex", "initech"])
        let overall = try #require(OnboardingProgress.combined(wave, filesPerMinute: 840))
        #expect(overall.total == 6000 && overall.processed == 2490 && overall.failed == 10 && overall.pending == 3500)
        #expect(overall.percent == 2500.0 * 100 / 6000, "finishing acme does not lower the percentage")
        #expect(overall.etaSeconds == 3500.0 / 840 * 60, "the whole backlog at the whole rate")
        #expect(overall.startedAt == start)
        #expect(OnboardingProgress.wave(Array(onboardings.prefix(2))).isEmpty, "nothing in progress")
        #expect(OnboardingProgress.combined([], filesPerMinute: 0) == nil)
    }
}
