import SluiceCore
import SluiceSQLite
import SluiceTesting
import Testing

/// The store conformance suites against a real SQLite file per test.
let sqliteStores: StoreFactory = { clock in
    let path = try TemporaryDirectory("sluice-store").path + "/sluice.sqlite"
    return { try SQLiteStore(path: path, clock: clock) }
}

/// The embedded index, document state and the embedding cache (`IndexConformance`).
@Suite struct SQLiteIndexTests {
    @Test func writesChunksWithDeterministicIdsAndRemovesStaleOnes() async throws { try await IndexConformance(sqliteStores).writesChunksWithDeterministicIdsAndRemovesStaleOnes() }
    @Test func searchIsScopedToTenantAndModel() async throws { try await IndexConformance(sqliteStores).searchIsScopedToTenantAndModel() }
    @Test func searchRanksByCosine() async throws { try await IndexConformance(sqliteStores).searchRanksByCosine() }
    @Test func tombstoneAndSkipRemoveChunks() async throws { try await IndexConformance(sqliteStores).tombstoneAndSkipRemoveChunks() }
    @Test func purgeRemovesOnlyThatTenant() async throws { try await IndexConformance(sqliteStores).purgeRemovesOnlyThatTenant() }
    @Test func chunkCountsFollowEveryCompletion() async throws { try await IndexConformance(sqliteStores).chunkCountsFollowEveryCompletion() }
    @Test func oneTenantsSummaryIsItsLineOfTheWholeSummary() async throws { try await IndexConformance(sqliteStores).oneTenantsSummaryIsItsLineOfTheWholeSummary() }
    @Test func embeddingCacheReportsKnownTexts() async throws { try await IndexConformance(sqliteStores).embeddingCacheReportsKnownTexts() }
    @Test func reopensAnExistingStore() async throws { try await IndexConformance(sqliteStores).reopensAnExistingStore() }
}

/// The scan's view of the store (`FileStateConformance`).
@Suite struct SQLiteFileStateTests {
    let conformance = FileStateConformance { clock in
        try SQLiteStore(path: try TemporaryDirectory("sluice-files").path + "/sluice.sqlite", clock: clock)
    }

    @Test func scanStateAndChangesCommitTogether() async throws { try await conformance.scanStateAndChangesCommitTogether() }
    @Test func aCompletionRecordsTheFileItRead() async throws { try await conformance.aCompletionRecordsTheFileItRead() }
    @Test func listsTheFileDocumentsUnderAFolder() async throws { try await conformance.listsTheFileDocumentsUnderAFolder() }
    @Test func scanProblemsAreReplacedPerTenantAndCapped() async throws { try await conformance.scanProblemsAreReplacedPerTenantAndCapped() }
}

/// Published content kept while used (`PublishingConformance`).
@Suite struct StoredContentTests {
    @Test func contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() async throws { try await PublishingConformance(sqliteStores).contentIsKeptWhileUsedAndRemovedWhenSupersededOrDeleted() }
    @Test func identicalContentOfTwoDocumentsIsReleasedSeparately() async throws { try await PublishingConformance(sqliteStores).identicalContentOfTwoDocumentsIsReleasedSeparately() }
    @Test func aSkippedDocumentKeepsNoContent() async throws { try await PublishingConformance(sqliteStores).aSkippedDocumentKeepsNoContent() }
    @Test func purgingATenantRemovesItsContent() async throws { try await PublishingConformance(sqliteStores).purgingATenantRemovesItsContent() }
    @Test func oneCallPublishingADocumentTwiceAppliesThemInOrder() async throws { try await PublishingConformance(sqliteStores).oneCallPublishingADocumentTwiceAppliesThemInOrder() }
    @Test func concurrentPublicationsEachGetTheirOutcome() async throws { try await PublishingConformance(sqliteStores).concurrentPublicationsEachGetTheirOutcome() }
    @Test func aHostilePublicationDoesNotFailThoseGroupedWithIt() async throws { try await PublishingConformance(sqliteStores).aHostilePublicationDoesNotFailThoseGroupedWithIt() }
    @Test func contentIsReadAheadWithinTheByteLimit() async throws { try await PublishingConformance(sqliteStores).contentIsReadAheadWithinTheByteLimit() }
}

/// Rewrites and sink extents (`RewriteConformance`).
@Suite struct RewriteTests {
    @Test func anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() async throws { try await RewriteConformance(sqliteStores).anIndexedDocumentIsQueuedAgainAndNoLongerLooksUnchanged() }
    @Test func sinkExtentsOutliveFailedWritesAndGoWithTheWriteThatClearedThem() async throws { try await RewriteConformance(sqliteStores).sinkExtentsOutliveFailedWritesAndGoWithTheWriteThatClearedThem() }
    @Test func anUnknownOrDeletedDocumentGetsATombstone() async throws { try await RewriteConformance(sqliteStores).anUnknownOrDeletedDocumentGetsATombstone() }
    @Test func aDocumentWithAPendingChangeIsOnlyMarked() async throws { try await RewriteConformance(sqliteStores).aDocumentWithAPendingChangeIsOnlyMarked() }
}

/// Onboarding progress (`OnboardingConformance`).
@Suite struct OnboardingTests {
    @Test func countsRateAndETAFollowTheWork() async throws { try await OnboardingConformance(sqliteStores).countsRateAndETAFollowTheWork() }
    @Test func theWaveCountsEveryTenantAtTheWholeRate() async throws { try await OnboardingConformance(sqliteStores).theWaveCountsEveryTenantAtTheWholeRate() }
}

/// API keys (`APIKeyConformance`).
@Suite struct SQLiteAPIKeyTests {
    @Test func keysResolveAndARevocationReachesEveryHandleAtOnce() async throws { try await APIKeyConformance(sqliteStores).keysResolveAndARevocationReachesEveryHandleAtOnce() }
}
