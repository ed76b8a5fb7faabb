import SluiceCore
import Testing

@Suite struct RepeatedChangesTests {
    let settle = SettlePolicy(window: .milliseconds(20), maximum: .milliseconds(2000))
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    func key(_ name: String) throws -> DocumentKey { DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID(name)) }

    @Test func aChangeRepeatsOnlyBetweenOneSaveAndTheBusyWindow() throws {
        var repeated = RepeatedChanges(settle: settle)
        let log = try key("app.log")
        let seen = [0, 5, 30, 520, 1020].map { repeated.record(log, at: start + .milliseconds($0)) }
        // A first change; 5 ms later the same save; 25 ms and 490 ms after the last, rewritten;
        // the busy window (500 ms) after the last, quiet again.
        #expect(seen == [false, false, true, true, false])
        let other = repeated.record(try key("other.md"), at: start + .milliseconds(1030))
        #expect(!other, "another document's first change")
    }

    @Test func onlyRecentDocumentsAreRemembered() throws {
        var repeated = RepeatedChanges(settle: settle)
        for index in 0..<1000 { _ = repeated.record(try key("f\(index).md"), at: start) }
        _ = repeated.record(try key("late.md"), at: start + .seconds(2))
        #expect(repeated.count == 1, "the thousand were forgotten once the window passed")
    }

    @Test func noSettlingMeansNothingRepeats() throws {
        var repeated = RepeatedChanges(settle: SettlePolicy(window: .zero, maximum: .zero))
        let log = try key("app.log")
        let seen = [0, 1, 2].map { repeated.record(log, at: start + .milliseconds($0)) }
        #expect(seen == [false, false, false])
    }
}
