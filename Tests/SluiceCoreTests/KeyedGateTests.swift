import Synchronization
import Testing

@testable import SluiceCore

/// `KeyedGate`: a key's holders are capped, its others wait (and are let in
/// later, none lost), and other keys pass meanwhile.
@Suite struct KeyedGateTests {
    final class Inside: Sendable {
        let now = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let done = Atomic<Int>(0)

        func pass(_ pause: Duration) async throws {
            let count = now.add(1, ordering: .relaxed).newValue
            _ = most.max(count, ordering: .relaxed)
            try await Task.sleep(for: pause)
            now.subtract(1, ordering: .relaxed)
            done.add(1, ordering: .relaxed)
        }
    }

    @Test func aKeyHasAtMostItsWidthInsideAndEveryWaiterGetsIn() async throws {
        let gate = KeyedGate(width: 2)
        let inside = Inside()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { try await gate.passing("acme") { try await inside.pass(.milliseconds(5)) } } }
            try await group.waitForAll()
        }
        #expect(inside.most.load(ordering: .relaxed) == 2)
        #expect(inside.done.load(ordering: .relaxed) == 20)
        #expect(gate.busyKeys == 0, "a key with no holder is forgotten")
    }

    @Test func anotherKeyPassesWhileOneIsFull() async throws {
        let gate = KeyedGate(width: 2)
        let release = AsyncStream<Void>.makeStream()
        let inside = Inside()
        // Two holders of acme that stay until released, and a third waiting behind them.
        let acme = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await gate.passing("acme") {
                            inside.now.add(1, ordering: .relaxed)
                            for await _ in release.stream { break }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        while inside.now.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(try await gate.passing("globex") { 7 } == 7)
        #expect(inside.now.load(ordering: .relaxed) == 2, "acme's third waits while its two hold their places")
        release.continuation.finish()
        try await acme.value
        #expect(inside.now.load(ordering: .relaxed) == 3)
        #expect(gate.busyKeys == 0)
    }

    @Test func aFailingHolderFreesItsPlace() async throws {
        let gate = KeyedGate(width: 1)
        await #expect(throws: CancellationError.self) { try await gate.passing("acme") { throw CancellationError() } }
        #expect(try await gate.passing("acme") { 1 } == 1)
        #expect(gate.busyKeys == 0)
    }
}
