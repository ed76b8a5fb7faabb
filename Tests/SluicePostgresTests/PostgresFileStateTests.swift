import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// The scan's view of the store against a real PostgreSQL, a schema per test.
@Suite struct PostgresFileStateTests {
    let conformance = FileStateConformance { clock in try await TestDatabase.freshStore(clock: clock) }

    @Test func scanStateAndChangesCommitTogether() async throws { try await conformance.scanStateAndChangesCommitTogether() }
    @Test func aCompletionRecordsTheFileItRead() async throws { try await conformance.aCompletionRecordsTheFileItRead() }
    @Test func listsTheFileDocumentsUnderAFolder() async throws { try await conformance.listsTheFileDocumentsUnderAFolder() }
    @Test func scanProblemsAreReplacedPerTenantAndCapped() async throws { try await conformance.scanProblemsAreReplacedPerTenantAndCapped() }
}
