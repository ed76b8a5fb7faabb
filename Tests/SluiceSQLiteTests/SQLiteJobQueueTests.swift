import Foundation
import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// The queue conformance suite against a real SQLite file per test.
@Suite struct SQLiteJobQueueTests {
    let conformance = JobQueueConformance { clock in
        let directory = try TemporaryDirectory("sluice-queue")
        return try SQLiteStore(
            path: directory.path + "/sluice.sqlite", clock: clock,
            options: SQLiteStore.Options(settle: JobQueueConformance.settle, retry: JobQueueConformance.retry))
    }

    @Test func coalescesChangesToOneRow() async throws { try await conformance.coalescesChangesToOneRow() }
    @Test func appliesTwoChangesOfADocumentInOneCallInTheirOrder() async throws { try await conformance.appliesTwoChangesOfADocumentInOneCallInTheirOrder() }
    @Test func settleWindowDelaysAndIsBounded() async throws { try await conformance.settleWindowDelaysAndIsBounded() }
    @Test func holdsOneLeasePerDocument() async throws { try await conformance.holdsOneLeasePerDocument() }
    @Test func keepsNewerChangeQueuedWhileLeased() async throws { try await conformance.keepsNewerChangeQueuedWhileLeased() }
    @Test func rejectsLateCompletionAfterLeaseExpired() async throws { try await conformance.rejectsLateCompletionAfterLeaseExpired() }
    @Test func renewsOnlyTheLeasesThatStillHold() async throws { try await conformance.renewsOnlyTheLeasesThatStillHold() }
    @Test func retriesWithBackoffThenDeadLetters() async throws { try await conformance.retriesWithBackoffThenDeadLetters() }
    @Test func deadLettersPermanentFailuresAtOnce() async throws { try await conformance.deadLettersPermanentFailuresAtOnce() }
    @Test func newChangeRevivesDeadLetter() async throws { try await conformance.newChangeRevivesDeadLetter() }
    @Test func leasesByPriority() async throws { try await conformance.leasesByPriority() }
    @Test func sharesLeasesFairlyAcrossTenants() async throws { try await conformance.sharesLeasesFairlyAcrossTenants() }
    @Test func growsSharesButServesNewOnboardingsFirst() async throws { try await conformance.growsSharesButServesNewOnboardingsFirst() }
    @Test func newcomersCannotHoldBackATenantAlreadyServed() async throws { try await conformance.newcomersCannotHoldBackATenantAlreadyServed() }
    @Test func deadLettersAfterThreeLeaseExpiries() async throws { try await conformance.deadLettersAfterThreeLeaseExpiries() }
    @Test func releasesAbandonedLeases() async throws { try await conformance.releasesAbandonedLeases() }
    @Test func blamesOnlyTheDocumentBeingProcessed() async throws { try await conformance.blamesOnlyTheDocumentBeingProcessed() }
    @Test func releasedLeaseIsLeasableWithoutAttempt() async throws { try await conformance.releasedLeaseIsLeasableWithoutAttempt() }
    @Test func countsDepth() async throws { try await conformance.countsDepth() }
    @Test func postponesWithoutCountingAnAttempt() async throws { try await conformance.postponesWithoutCountingAnAttempt() }
}
