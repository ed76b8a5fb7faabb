import SluiceCore
import SluiceHTTP
import Testing

@Suite struct ClientAddressTests {
    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() throws {
        let policy = AccessPolicy(trustedProxies: [try CIDRBlock("10.0.0.0/8")])
        #expect(policy.clientAddress(peer: "203.0.113.5", forwardedFor: "127.0.0.1") == "203.0.113.5", "an untrusted peer cannot claim loopback")
        #expect(policy.clientAddress(peer: "10.1.2.3", forwardedFor: "198.51.100.7") == "198.51.100.7")
        #expect(policy.clientAddress(peer: "10.1.2.3", forwardedFor: "127.0.0.1, 198.51.100.7, 10.9.9.9") == "198.51.100.7",
                "the rightmost address that is not a trusted proxy; spoofed entries to its left are ignored")
        #expect(policy.clientAddress(peer: "10.1.2.3", forwardedFor: nil) == "10.1.2.3")
        #expect(AccessPolicy().clientAddress(peer: "172.20.0.1", forwardedFor: "127.0.0.1") == "172.20.0.1", "no proxy is trusted by default")
    }
}
