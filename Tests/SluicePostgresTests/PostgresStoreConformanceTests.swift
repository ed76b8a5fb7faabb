import SluiceCore
import SluicePostgres
import SluiceTesting
import Testing

/// The store conformance suites against a real PostgreSQL, a schema per
/// test; a second handle is another store (its own connections) on that schema.
let postgresStores: StoreFactory = { clock in
    let location = try TestDatabase.freshLocation()
    return { try await PostgresStore.open(location, clock: clock, options: PostgresStore.Options(maximumConnections: 3)) }
}

/// Document state and the embedding cache (`IndexConformance`); the vectors
/// live in the sink, so the search checks are the embedded backend's only.
@Suite struct PostgresIndexTests {
    @Test func writesChunksWithDeterministicIdsAndRemovesStaleOnes() async throws { try await IndexConformance(postgresStores).writesChunksWithDeterministicIdsAndRemovesStaleOnes() }
    @Test func tombstoneAndSkipRemoveChunks() async throws { try await IndexConformance(postgresStores).tombstoneAndSkipRemoveChunks() }
    @Test func purgeRemovesOnlyThatTenant() async throws { try await IndexConformance(postgresStores).purgeRemovesOnlyThatTenant() }
    @Test func chunkCountsFollowEveryCompletion() async throws { try await IndexConformance(postgresStores).chunkCountsFollowEveryCompletion() }
    @Test func oneTenantsSummaryIsItsLineOfTheWholeSummary() async throws { try await IndexConformance(postgresStores).oneTenantsSummaryIsItsLineOfTheWholeSummary() }
    @Test func embeddingCacheReportsKnownTexts() async throws { try await IndexConformance(postgresStores).embeddingCacheReportsKnownTexts() }
    @Test func reopensAnExistingStore() async throws { try await IndexConformance(postgresStores).reopensAnExistingStore() }
}

/// Published content kept while used (`PublishingConformance`).
@Suite struct PostgresStoredContentTests {
    @Test func contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() async throws { try await PublishingConformance(postgresStores).contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() }
    @Test func identicalContentOfTwoDocumentsIsReleasedSeparately() async throws { try await PublishingConformance(postgresStores).identicalContentOfTwoDocumentsIsReleasedSeparately() }
    @Test func aSkippedDocumentKeepsNoContent() async throws { try await PublishingConformance(postgresStores).aSkippedDocumentKeepsNoContent() }
    @Test func purgingATenantRemovesItsContent() async throws { try await PublishingConformance(postgresStores).purgingATenantRemovesItsContent() }
    @Test func oneCallPublishingADocumentTwiceAppliesThemInOrder() async throws { try await PublishingConformance(postgresStores).oneCallPublishingADocumentTwiceAppliesThemInOrder() }
    @Test func concurrentPublicationsEachGetTheirOutcome() async throws { try await PublishingConformance(postgresStores).concurrentPublicationsEachGetTheirOutcome() }
    @Test func aHostilePublicationDoesNotFailThoseGroupedWithIt() async throws { try await PublishingConformance(postgresStores).aHostilePublicationDoesNotFailThoseGroupedWithIt() }
    @Test func contentIsReadAheadWithinTheByteLimit() async throws { try await PublishingConformance(postgresStores).contentIsReadAheadWithinTheByteLimit() }
}

/// Rewrites and sink extents (`RewriteConformance`).
@Suite struct PostgresRewriteTests {
    @Test func anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() async throws { try await RewriteConformance(postgresStores).anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() }
    @Test func sinkExtentsOutliveFailedWritesAndGoWithTheWriteThatClearedThem() async throws { try await RewriteConformance(postgresStores).sinkExtentsOutliveFailedWritesAndGoWithTheWriteThatClearedThem() }
    @Test func anUnknownOrDeletedDocumentGetsATombstone() async throws { try await RewriteConformance(postgresStores).anUnknownOrDeletedDocumentGetsATombstone() }
    @Test func aDocumentWithAPendingChangeIsOnlyMarked() async throws { try await RewriteConformance(postgresStores).aDocumentWithAPendingChangeIsOnlyMarked() }
}

/// Onboarding progress (`OnboardingConformance`).
@Suite struct PostgresOnboardingTests {
    @Test func countsRateAndETAFollowTheWork() async throws { try await OnboardingConformance(postgresStores).countsRateAndETAFollowTheWork() }
    @Test func theWaveCountsEveryTenantAtTheWholeRate() async throws { try await OnboardingConformance(postgresStores).theWaveCountsEveryTenantAtTheWholeRate() }
}

/// API keys (`APIKeyConformance`).
@Suite struct PostgresAPIKeyTests {
    @Test func keysResolveAndARevocationReachesEveryHandleAtOnce() async throws { try await APIKeyConformance(postgresStores).keysResolveAndARevocationReachesEveryHandleAtOnce() }
}
