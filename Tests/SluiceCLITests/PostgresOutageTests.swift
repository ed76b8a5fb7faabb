import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceBench
import SluiceCore
import SluiceTesting
import Testing

/// `sluice serve` on a PostgreSQL store that goes down for 30 s: a cluster
/// of the test's own (`TestCluster`), stopped and started again under a
/// running process. The process keeps running, the
/// API answers 503 with Retry-After (or its clients time out) while the
/// database is down and never acknowledges what it could not store, the
/// log says what is happening, and once the database is back every document
/// acknowledged before and after is indexed: exactly their points in Qdrant.
@Suite(.serialized, .timeLimit(.minutes(6))) struct PostgresOutageTests {
    struct Reply {
        var status: Int
        var retryAfter: String?
    }

    /// Publishes one document; status 0 when the request timed out.
    static func publish(_ port: Int, _ docId: String) async -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ingest/publish")!, timeoutInterval: 20)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: [
            "meta": ["tenant": "acme", "docId": docId], "content": "# \(docId)\n\nthe words of \(docId).",
        ])
        guard let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else {
            return Reply(status: 0)
        }
        return Reply(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"))
    }

    /// The one point of a one-chunk document of acme.
    static func point(_ docId: String) throws -> String {
        ChunkID.string(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID(docId)), ordinal: 0)
    }

    /// `sluice serve` on `store`, writing to `qdrant` (`ServeProcess`): the process, its API's port, and its log.
    static func serve(
        in work: TemporaryDirectory, store: String, qdrant: QdrantTestServer
    ) async throws -> (Process, Int, @Sendable () -> String) {
        let serve = try ServeProcess(in: work, environment: [
            "SLUICE_STORE_URL": store, "SLUICE_SINK": "qdrant", "SLUICE_QDRANT_URL": qdrant.url,
            "SLUICE_SETTLE_MS": "0", "SLUICE_EMBED_DIMENSION": "32",
        ])
        let port = try await serve.port()
        if port == nil { kill(serve.process.processIdentifier, SIGKILL) }
        return (serve.process, try #require(port, "serving: \(serve.log)"), { serve.log })
    }

    @Test
    func serveRidesOutAThirtySecondOutageAndLosesNothingItAcknowledged() async throws {
        let work = try TemporaryDirectory("sluice-pg-outage")
        defer { work.remove() }
        try await TestCluster.running(in: work.path + "/cluster") { cluster in
            let url = cluster.url
            let qdrant = try QdrantTestServer()
            let (serve, apiPort, log) = try await Self.serve(in: work, store: url, qdrant: qdrant)
            defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

            var acknowledged: [String] = []
            #expect(try await eventually(within: .seconds(60), every: .milliseconds(100)) {
                await Self.publish(apiPort, "before0.md").status == 202
            }, "serving: \(log())")
            acknowledged.append("before0.md")
            for index in 1..<10 where await Self.publish(apiPort, "before\(index).md").status == 202 { acknowledged.append("before\(index).md") }
            #expect(acknowledged.count == 10)

            // Down for 30 s; clients keep publishing meanwhile.
            try await cluster.stop()
            let downSince = ContinuousClock.now
            var refused: [Reply] = []
            // Requests whose client gave up: stored or not, the client cannot know; either is right.
            var unknown: [String] = []
            var index = 0
            while ContinuousClock.now - downSince < .seconds(30) {
                let reply = await Self.publish(apiPort, "during\(index).md")
                #expect(reply.status != 202, "during\(index).md was acknowledged while the database was down")
                if reply.status == 0 { unknown.append("during\(index).md") }
                refused.append(reply)
                index += 1
                try await Task.sleep(for: .seconds(1))
            }
            #expect(serve.isRunning, "the process keeps running while the database is down: \(log())")
            #expect(refused.contains { $0.status == 503 && $0.retryAfter != nil }, "503 with Retry-After while down: \(refused.map(\.status))")
            #expect(refused.allSatisfy { $0.status == 503 || $0.status == 0 }, "\(refused.map(\.status))")
            // Before, the first requests of an outage waited on the pool until the client gave up.
            #expect(refused.first?.status == 503, "the first request of the outage is answered 503: \(refused.map(\.status))")

            try await cluster.start()
            for index in 0..<10 {
                let docId = "after\(index).md"
                let delivered = try await eventually(within: .seconds(90), every: .milliseconds(500)) {
                    await Self.publish(apiPort, docId).status == 202
                }
                #expect(delivered, "\(docId) accepted once the database is back: \(log())")
                if delivered { acknowledged.append(docId) }
            }
            /// Each document is one chunk: its one point.
            func points(_ docIds: [String]) throws -> Set<String> { Set(try docIds.map(Self.point)) }
            let expected = try points(acknowledged)
            let maybe = try points(unknown)
            let indexed = try await eventually(within: .seconds(90), every: .milliseconds(500)) {
                guard let points = try? await qdrant.pointIDs() else { return false }
                return points.isSuperset(of: expected) && points.subtracting(expected).isSubset(of: maybe)
            }
            let points = try await qdrant.pointIDs()
            if !indexed {
                // What the store says of the documents missing, for whoever reads the failure.
                let status = Process()
                status.executableURL = serve.executableURL
                status.arguments = ["status", "--store", url, "--tenant", "acme", "--json"]
                let out = Pipe()
                status.standardOutput = out
                status.standardError = out
                try? status.run()
                let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let missing = acknowledged.filter { !points.contains(try! Self.point($0)) }
                Issue.record("not indexed: \(missing); status: \(said); log: \(log())")
            }
            #expect(indexed, "every acknowledged document is indexed, and nothing else: \(points.count) points, \(expected.count) expected")
            #expect(serve.isRunning)
            let said = log()
            #expect(said.contains("cannot be reached") || said.contains("does not answer") || said.contains("terminating connection"), "the log says the database went away: \(said)")
            #expect(said.contains("answers again") || said.contains("hearing other processes' work again"), "the log says it is back: \(said)")
        }
    }

    /// Stopped (SIGTERM, as an orchestrator does) while its database is gone:
    /// `serve` still stops, at once, and says what stays queued.
    @Test
    func serveStopsOnSIGTERMWhileTheDatabaseIsGone() async throws {
        let work = try TemporaryDirectory("sluice-pg-gone")
        defer { work.remove() }
        try await TestCluster.running(in: work.path + "/cluster") { cluster in
            let qdrant = try QdrantTestServer()
            let (serve, apiPort, log) = try await Self.serve(in: work, store: cluster.url, qdrant: qdrant)
            defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
            #expect(try await eventually(within: .seconds(60), every: .milliseconds(100)) {
                await Self.publish(apiPort, "doc0.md").status == 202
            }, "serving: \(log())")
            for index in 1..<20 { _ = await Self.publish(apiPort, "doc\(index).md") }
            try await cluster.stop()
            try await Task.sleep(for: .seconds(2))
            kill(serve.processIdentifier, SIGTERM)
            let stopped = try await eventually(within: .seconds(20), every: .milliseconds(100)) { !serve.isRunning }
            #expect(stopped, "serve still runs 20 s after SIGTERM with its database gone: \(log())")
            if stopped { #expect(serve.terminationStatus == 0, "\(log())") }
            #expect(log().contains("pending changes stay queued"), "\(log())")
        }
    }
}
