import SluiceCore
import Synchronization
import Testing

/// `GroupCommit`: requests made while a write runs go together in the next,
/// each gets its own response, and no group outweighs its limit.
@Suite struct GroupCommitTests {
    /// The groups written, in order.
    final class Written: Sendable {
        let groups = Mutex<[[Int]]>([])
    }

    @Test func groupsStayWithinTheirWeightAndEachRequestGetsItsResponse() async throws {
        let commit = GroupCommit<Int, Int>(maxWeight: 100) { $0 }
        let groups = Written()
        // Weights of 30 (three fit in a group), and one of 250 that must go alone.
        let requests = (0..<40).map { $0 == 17 ? 250 : 30 }
        let responses = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            for (index, request) in requests.enumerated() {
                tasks.addTask {
                    let response = try await commit.submit(request) { batch in
                        groups.groups.withLock { $0.append(batch) }
                        try await Task.sleep(for: .milliseconds(5))
                        return batch.map { $0 * 2 }
                    }
                    return (index, response)
                }
            }
            return try await tasks.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(responses.count == requests.count)
        #expect(requests.indices.allSatisfy { responses[$0] == requests[$0] * 2 }, "each its own response")
        let written = groups.groups.withLock { $0 }
        #expect(written.flatMap { $0 }.count == requests.count, "each written once")
        #expect(written.allSatisfy { $0.count == 1 || $0.reduce(0, +) <= 100 }, "\(written.map { $0.reduce(0, +) })")
        #expect(written.contains { $0.count > 1 }, "requests made during a write were grouped")
    }
}
