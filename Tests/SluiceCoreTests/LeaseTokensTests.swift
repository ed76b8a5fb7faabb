import SluiceCore
import Testing

/// `LeaseTokens`: no token is ever handed out twice, by one instance (from
/// many tasks at once) or by two (two processes on one store).
@Suite struct LeaseTokensTests {
    @Test func tokensAreNeverRepeatedWithinOrAcrossInstances() async {
        let first = LeaseTokens()
        let second = LeaseTokens()
        let tokens = await withTaskGroup(of: [String].self) { tasks in
            for task in 0..<8 {
                tasks.addTask {
                    let tokens = task.isMultiple(of: 2) ? first : second
                    return (0..<5_000).map { _ in tokens.next() }
                }
            }
            return await tasks.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(tokens.count == 40_000)
        #expect(Set(tokens).count == tokens.count)
    }

    /// The PostgreSQL store finds its predecessor's leases by their prefix (its owner).
    @Test func everyTokenBeginsWithThePrefix() {
        let tokens = LeaseTokens(prefix: "host-a/data/")
        let token = tokens.next()
        #expect(token.hasPrefix("host-a/data/"))
        #expect(token.count > "host-a/data/".count + 30)
        #expect(tokens.next() != token)
    }
}
