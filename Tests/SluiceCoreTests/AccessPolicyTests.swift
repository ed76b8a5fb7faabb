import SluiceCore
import Testing

@Suite struct AccessPolicyTests {
    @Test(arguments: [
        ("172.16.0.0/12", "172.16.0.1", true), ("172.16.0.0/12", "172.31.255.255", true),
        ("172.16.0.0/12", "172.32.0.1", false), ("172.16.0.0/12", "172.15.255.255", false),
        ("10.0.0.0/8", "10.200.1.1", true), ("127.0.0.0/8", "127.9.9.9", true), ("127.0.0.0/8", "::ffff:127.0.0.1", true),
        ("::1/128", "::1", true), ("::1/128", "::2", false), ("fd00::/8", "fd12:3456::1", true), ("fd00::/8", "fe80::1", false),
        ("192.168.1.7", "192.168.1.7", true), ("192.168.1.7", "192.168.1.8", false), ("0.0.0.0/0", "8.8.8.8", true),
        ("10.0.0.0/8", "not-an-ip", false), ("10.0.0.0/8", "::1", false),
        ("127.0.0.0/8", "127.0.0.0001", false), ("127.0.0.0/8", "127.0.0.256", false), ("127.0.0.0/8", "127.0.0", false),
        ("127.0.0.0/8", "127.0.0.1.5", false), ("127.0.0.0/8", "127..0.1", false), ("127.0.0.0/8", "127.0.0.1.", false),
        ("127.0.0.0/8", "+127.0.0.1", false), ("127.0.0.0/8", "127.0.0.1 ", false), ("127.0.0.0/8", "::ffff:128.0.0.1", false),
        ("127.0.0.0/8", "::fffe:127.0.0.1", false), ("10.0.0.0/9", "10.127.255.255", true), ("10.0.0.0/9", "10.128.0.0", false),
        ("::ffff:0:0/96", "::ffff:8.8.8.8", true),
    ])
    func cidrMembership(block: String, address: String, expected: Bool) throws {
        #expect(try CIDRBlock(block).contains(address) == expected)
    }

    @Test func badBlocksAreRejected() {
        for bad in ["172.", "300.1.1.1/8", "10.0.0.0/33", "::1/129", "1:2:3", "10.0.0.0/x", ""] {
            #expect(throws: SluiceError.self, "\(bad)") { try CIDRBlock(bad) }
        }
    }

    @Test func tokenBucketRefillsAtTheRate() {
        let start = Timestamp(milliseconds: 0)
        var bucket = TokenBucket(ratePerMinute: 600, burstSeconds: 1, now: start)  // 10 per second, burst 10
        for _ in 0..<10 { #expect(bucket.take(now: start) == nil) }
        let wait = bucket.take(now: start)
        #expect(wait == .milliseconds(100))
        #expect(bucket.take(now: Timestamp(milliseconds: 100)) == nil, "one token after 100 ms")
        #expect(bucket.take(now: Timestamp(milliseconds: 100)) != nil)
    }

    /// Concurrent requests read the time before they take the bucket's lock,
    /// so a take may come with an earlier time than the last one: it must not
    /// wind the bucket's clock back, or the next take refills that span again.
    @Test func aTakeWithAnEarlierTimeRefillsNothingTwice() {
        var bucket = TokenBucket(ratePerMinute: 600, burstSeconds: 1, now: Timestamp(milliseconds: 0))  // 10 per second, burst 10
        for _ in 0..<10 { #expect(bucket.take(now: Timestamp(milliseconds: 0)) == nil) }
        #expect(bucket.take(now: Timestamp(milliseconds: 500)) == nil, "5 refilled by 500 ms, 4 left")
        for _ in 0..<4 { #expect(bucket.take(now: Timestamp(milliseconds: 100)) == nil, "an earlier time: no refill") }
        #expect(bucket.take(now: Timestamp(milliseconds: 500)) != nil, "the span to 500 ms was refilled once")
    }

    @Test func aBatchIsChargedPerDocumentIntoDebtAndNotWhileInDebt() {
        let start = Timestamp(milliseconds: 0)
        var bucket = TokenBucket(ratePerMinute: 600, burstSeconds: 1, now: start)  // 10 per second, burst 10
        // Two requests of 30 documents each took their one token at once; the first is charged its other 29.
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.charge(29, now: start) == nil, "8 tokens left: the charge leaves 21 owed")
        #expect(bucket.charge(29, now: start) == .milliseconds(2_200), "in debt: refused, 22 tokens until a request's")
        #expect(bucket.take(now: Timestamp(milliseconds: 2_100)) == .milliseconds(100), "21 repaid, a request's token to go")
        #expect(bucket.take(now: Timestamp(milliseconds: 2_200)) == nil, "the debt is repaid at 10 a second")
        #expect(bucket.charge(0, now: Timestamp(milliseconds: 2_200)) == nil, "out of debt: a charge is taken again")
    }
}
