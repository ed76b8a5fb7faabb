import SluiceConnectors
import Testing

/// The webhook's Standard Webhooks signature against the scheme's own
/// reference library: the expected values were made with PyPI's
/// `standardwebhooks` 1.1.0 (`Webhook(secret).sign(id, timestamp, body)`).
@Suite struct WebhookSignatureTests {
    @Test func aSecretOfTheSchemesFormSignsAsItsLibraryDoes() {
        // "whsec_" + base64("0123456789abcdef0123456789abcdef")
        let secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
        #expect(WebhookSink.standardSignature(id: "msg_1", timestamp: 1_700_000_000, body: Array(#"{"a":1}"#.utf8), secret: secret)
            == "v1,rkwp5YuvdrMkcu0ZhuMsXoTg44mHAr1Q0+FFgFpXsjY=")
    }

    /// Any other secret is keyed by its UTF-8 bytes: the library verifies it given
    /// "whsec_" + base64 of those bytes, here of "hook-secret".
    @Test func anyOtherSecretIsKeyedByItsBytes() {
        let plain = WebhookSink.standardSignature(id: "msg_2", timestamp: 1_700_000_123, body: Array("[]".utf8), secret: "hook-secret")
        let asTheLibraryTakesIt = WebhookSink.standardSignature(
            id: "msg_2", timestamp: 1_700_000_123, body: Array("[]".utf8), secret: "whsec_aG9vay1zZWNyZXQ=")
        #expect(plain == asTheLibraryTakesIt)
        #expect(plain == "v1,8ieAXiOLkGuFM0WhG2mAV1MhK2Qh7/L4fAiW1R4ahJo=")
    }
}
