import SluiceCore
import Testing

@Suite struct TenantQuotaTests {
    let quota = TenantQuota(maxChunks: 10)

    @Test func documentsFitInOrderUntilTheLimit() {
        // 4 held: 3 fits (7), 4 would make 11, 3 fits (10), 1 would make 11.
        #expect(quota.admit(held: 4, [(0, 3), (0, 4), (0, 3), (0, 1)]) == [true, false, true, false])
    }

    @Test func aDocumentCountsWhatItHadBefore() {
        // 9 held, 5 of them this document's: growing to 6 makes 10.
        #expect(quota.admit(held: 9, [(5, 6)]) == [true])
        #expect(quota.admit(held: 9, [(5, 7)]) == [false])
    }

    @Test func aDocumentThatDoesNotGrowAlwaysFits() {
        // Over the limit already (it was lowered): shrinking, keeping or deleting goes through, and frees room.
        #expect(quota.admit(held: 15, [(6, 6), (6, 2), (0, 0)]) == [true, true, true])
        #expect(quota.admit(held: 15, [(6, 2), (0, 1)]) == [true, false], "11 held after the shrink: still over")
        #expect(quota.admit(held: 15, [(6, 0), (0, 1)]) == [true, true], "9 held after the deletion")
    }

    @Test func theReasonNamesTheSettingAndBeginsWithThePrefix() {
        #expect(quota.reason.hasPrefix(TenantQuota.reasonPrefix))
        #expect(quota.reason.contains("SLUICE_TENANT_MAX_CHUNKS") && quota.reason.contains("10 chunks"))
    }
}
