import Foundation
import Synchronization
import Testing

@testable import SluiceHTTP

/// `PerKeyLimit`: past a key's limit of requests at one stage (bodies being
/// sent, `?wait` waiters), 429 with Retry-After; other keys are not touched, and
/// a place is given back when its holder ends, even by an error.
@Suite struct PerKeyLimitTests {
    @Test func pastTheLimitAKeyIsRefusedAndOtherKeysAreNot() async throws {
        let limit = PerKeyLimit()
        let release = AsyncStream<Void>.makeStream()
        let holding = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await limit.holding("acme", limit: 1, what: "uploads") {
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        do {
            try await limit.holding("acme", limit: 1, what: "uploads") {}
            Issue.record("a second upload of acme went through")
        } catch let error as APIError {
            #expect(error.code == .rateLimited && error.status == .tooManyRequests)
            #expect(error.headers[.retryAfter] == "1")
            #expect(error.message.contains("already has 1 uploads in progress"), "\(error.message)")
        }
        #expect(try await limit.holding("globex", limit: 1, what: "uploads") { 2 } == 2)
        release.continuation.finish()
        try await holder.value
        #expect(try await limit.holding("acme", limit: 1, what: "uploads") { 3 } == 3, "its place is free again")
        await #expect(throws: CancellationError.self) { try await limit.holding("acme", limit: 1, what: "uploads") { throw CancellationError() } }
        #expect(try await limit.holding("acme", limit: 1, what: "uploads") { 4 } == 4, "a holder that failed gave its place back")
    }
}
