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

    /// Thousands of submitters at once, with writes that do not suspend (a
    /// write can end between a submitter's look and its wait): every request
    /// is written once and answered, and the store is never written by two at once.
    @Test func manySubmittersEachGetTheirOwnResponseAndWritesNeverOverlap() async throws {
        let commit = GroupCommit<Int, Int>()
        final class Writing: Sendable {
            let state = Mutex((now: 0, most: 0, written: 0))
        }
        let writing = Writing()
        let count = 5000
        let answered = try await withThrowingTaskGroup(of: Bool.self) { tasks in
            for request in 0..<count {
                tasks.addTask {
                    let response = try await commit.submit(request) { batch in
                        writing.state.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.written += batch.count }
                        if request % 7 == 0 { await Task.yield() }
                        writing.state.withLock { $0.now -= 1 }
                        return batch.map { -$0 }
                    }
                    return response == -request
                }
            }
            return try await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == count)
        let seen = writing.state.withLock { $0 }
        #expect(seen.written == count)
        #expect(seen.most == 1)
    }

    struct Refused: Error {}

    /// A write that fails fails every request of its group (each caller is
    /// answered), and the commit goes on writing the groups after it.
    @Test func aFailedWriteFailsItsGroupAndTheCommitGoesOn() async throws {
        let commit = GroupCommit<Int, Int>()
        func submitAll(_ requests: [Int]) async -> [Int: Bool] {
            await withTaskGroup(of: (Int, Bool).self) { tasks in
                for request in requests {
                    tasks.addTask {
                        do {
                            _ = try await commit.submit(request) { batch in
                                try await Task.sleep(for: .milliseconds(1))
                                // A group holding a multiple of 10 fails, whole.
                                if batch.contains(where: { $0 % 10 == 0 }) { throw Refused() }
                                return batch
                            }
                            return (request, true)
                        } catch {
                            return (request, false)
                        }
                    }
                }
                return await tasks.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
        }
        let mixed = await submitAll(Array(0..<200))
        #expect(mixed.count == 200, "every caller answered")
        #expect((0..<200).filter { $0 % 10 == 0 }.allSatisfy { mixed[$0] == false })
        let after = await submitAll((1001..<1101).filter { $0 % 10 != 0 })
        #expect(after.count == 90 && after.values.allSatisfy { $0 }, "groups after failed ones are written")
    }
}
