import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceBench
import SluiceCore
import SluiceTesting
import Testing

/// A fleet on one PostgreSQL store: `sluice serve` processes taking the
/// publishes and others only working, with the Qdrant test server as their
/// sink. What each must show: every document's newest version indexed
/// exactly once, whichever process took it and whichever worked it.
@Suite(.serialized, .timeLimit(.minutes(6))) struct PostgresFleetTests {
    let work: TemporaryDirectory
    let qdrant: QdrantTestServer
    let processes: StoreProcesses

    init() throws {
        work = try TemporaryDirectory("sluice-pg-fleet")
        qdrant = try QdrantTestServer()
        processes = StoreProcesses(work: work, store: try TestDatabase.freshURL(), qdrant: qdrant)
    }

    /// `sluice serve` with the fleet's store and sink, on a port of its own (`port(of:)`), its output in WORK/NAME.log.
    func serve(_ name: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> Process {
        try processes.start(
            name, ["serve", "--listen", "127.0.0.1:0"] + arguments, environment: ["SLUICE_CONCURRENCY": "2"].merging(environment) { $1 })
    }

    func log(_ name: String) -> String { processes.log(name) }

    func port(of name: String) async throws -> Int? { try await processes.port(of: name) }

    /// The body of GET `path` when it answered 200.
    static func get(_ port: Int, _ path: String) async -> String? {
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 20)
        guard let (data, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Publishes `content` as `docId` of `tenant` through the API on `port`; the status (0: no answer).
    static func publish(_ port: Int, tenant: String, docId: String, content: String) async -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ingest/publish")!, timeoutInterval: 20)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: ["meta": ["tenant": tenant, "docId": docId], "content": content])
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return 0 }
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// The sum of a Prometheus family's samples in `exposition`.
    static func sum(_ family: String, in exposition: String, where label: String = "") -> Double {
        exposition.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(family + "{") || line.hasPrefix(family + " "), label.isEmpty || line.contains(label),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return total }
            return total + value
        }
    }

    /// Three `serve` processes take the publishes, round-robin; three more
    /// take none and only work. 200 documents in 4 tenants, and every tenth
    /// republished three times while the first versions are in flight. The
    /// sink ends with exactly one point per document (each is one chunk),
    /// holding its newest version; each process's /metrics counts its own
    /// work (the three that took no publishes did some; no version was
    /// processed twice) and reports the
    /// shared queue, empty at the end, the same from every process.
    @Test func threeAPIProcessesAndThreeWorkersIndexTheNewestVersionOfEveryDocumentOnce() async throws {
        defer { work.remove() }
        let names = ["api0", "api1", "api2", "worker0", "worker1", "worker2"]
        var processes: [Process] = []
        defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        for name in names { processes.append(try serve(name)) }
        var ports: [Int] = []
        for name in names {
            ports.append(try #require(try await port(of: name), "\(name) serves: \(log(name))"))
        }
        let api = Array(ports.prefix(3))

        let documents = 200
        func tenant(_ index: Int) -> String { "tenant\(index % 4)" }
        func content(_ index: Int, version: Int) -> String { "# doc\(index)\n\nversion \(version) of doc\(index) in \(tenant(index))." }
        var newest: [Int: Int] = [:]
        var sent = 0
        func publish(_ index: Int, version: Int) async {
            let status = await Self.publish(api[sent % api.count], tenant: tenant(index), docId: "doc\(index).md", content: content(index, version: version))
            sent += 1
            #expect(status == 202, "doc\(index) version \(version): \(status)")
            if status == 202 { newest[index] = version }
        }
        for index in 0..<documents { await publish(index, version: 1) }
        // While the first versions are leased, embedded and written: newer ones of the hot documents.
        for version in 2...4 {
            for index in stride(from: 0, to: documents, by: 10) { await publish(index, version: version) }
        }

        let expected = try Dictionary(uniqueKeysWithValues: newest.map { index, version in
            (ChunkID.string(DocumentKey(tenant: try TenantID(tenant(index)), docId: try DocumentID("doc\(index).md")), ordinal: 0),
             "version \(version) of doc\(index)")
        })
        let indexed = try await eventually(within: .seconds(180), every: .milliseconds(500)) {
            guard let points = try? await qdrant.points(), Set(points.keys) == Set(expected.keys) else { return false }
            return expected.allSatisfy { id, words in points[id]?.text.contains(words) == true }
        }
        let points = try await qdrant.points()
        let stale = expected.filter { id, words in points[id]?.text.contains(words) != true }.map(\.value)
        #expect(indexed, "one point per document with its newest version: \(points.count) points of \(expected.count); not newest: \(stale.prefix(10)); \(log("api0"))")

        // Each process counts its own work; the queue is the store's, the same from every process.
        var processed: [String: Double] = [:]
        let settled = try await eventually(within: .seconds(60), every: .milliseconds(500)) {
            for (name, port) in zip(names, ports) {
                guard let exposition = await Self.get(port, "/metrics") else { return false }
                guard Self.sum("sluice_queue_depth", in: exposition) == 0 else { return false }
                processed[name] = Self.sum("sluice_documents_processed_total", in: exposition)
            }
            // A document is counted right after its completion commits.
            return processed.values.reduce(0, +) >= Double(documents)
        }
        #expect(settled, "every process reports the shared queue empty, and their work: \(processed)")
        let total = processed.values.reduce(0, +)
        #expect(total >= Double(documents), "every document was processed by some process: \(processed)")
        // Versions may coalesce (one processing for two), never be processed twice.
        #expect(total <= Double(sent), "no version was processed twice: \(processed), \(sent) published")
        #expect(names.suffix(3).reduce(0) { $0 + (processed[$1] ?? 0) } > 0, "the processes that took no publishes worked too: \(processed)")
        for (name, process) in zip(names, processes) {
            kill(process.processIdentifier, SIGTERM)
            _ = try await process.exited()
            #expect(process.terminationStatus == 0, "\(name): \(log(name))")
        }
    }

    /// SIGKILL of a process holding a batch (its embeddings request in
    /// flight, its leases renewed until then): another process, idle
    /// meanwhile, leases the batch again once the leases expire and finishes
    /// it: exactly the documents' points, none lost, none twice.
    @Test func aBatchOfAKilledWorkerIsFinishedByAnotherProcessWhenItsLeasesExpire() async throws {
        defer { work.remove() }
        let lease = Duration.seconds(5)
        // The first embeddings request (the killed process's) is held; later ones take 10 ms.
        let services = SlowServices(delay: .milliseconds(10), dimension: 32, firstDelay: .seconds(600))
        try await services.serving { root in
            let remote = ["--embedder", "openai", "--embedder-url", root + "/v1", "--embedder-model", "fleet"]
            let environment = [
                "SLUICE_EMBEDDER_API_KEY": "sk-test", "SLUICE_LEASE_SECONDS": "\(Int(lease.seconds))", "SLUICE_BATCH_SIZE": "10",
                "SLUICE_CONCURRENCY": "1",
            ]
            let first = try serve("first", remote, environment: environment)
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            let base = try #require(try await port(of: "first"), "\(log("first"))")
            // One batch, queued in one transaction: the first process's one worker leases it whole.
            var expected: [String: String] = [:]
            var batch: [[String: Any]] = []
            for index in 0..<10 {
                batch.append(["meta": ["tenant": "acme", "docId": "doc\(index).md"], "content": "# doc\(index)\n\nthe words of doc\(index)."])
                expected[ChunkID.string(DocumentKey(tenant: try TenantID("acme"), docId: try DocumentID("doc\(index).md")), ordinal: 0)] = "the words of doc\(index)"
            }
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(base)/v1/ingest/batch")!, timeoutInterval: 20)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: ["documents": batch])
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202)
            #expect(try await eventually(within: .seconds(60)) { services.embeddingCalls >= 1 }, "the first process embeds its batch: \(log("first"))")

            // The other process starts while the batch is in hand, and finds nothing to lease.
            let second = try serve("second", remote, environment: environment)
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
            let other = try #require(try await port(of: "second"), "\(log("second"))")
            try await Task.sleep(for: lease)
            #expect(services.embeddingCalls == 1, "the batch stays with the first process while its heartbeat renews it")
            #expect(try await qdrant.pointIDs().isEmpty)

            kill(first.processIdentifier, SIGKILL)
            _ = try await first.exited()
            let indexed = try await eventually(within: lease + .seconds(60), every: .milliseconds(200)) {
                guard let points = try? await qdrant.points(), Set(points.keys) == Set(expected.keys) else { return false }
                return expected.allSatisfy { id, words in points[id]?.text.contains(words) == true }
            }
            #expect(indexed, "the second process finished the killed one's batch: \(log("second"))")
            // Counted when the completion is recorded, right after the points are written.
            var exposition = ""
            #expect(try await eventually(within: .seconds(30), every: .milliseconds(200)) {
                exposition = await Self.get(other, "/metrics") ?? ""
                return Self.sum("sluice_documents_processed_total", in: exposition) >= 10
            })
            #expect(Self.sum("sluice_documents_processed_total", in: exposition) == 10, "the second process did it, once each: \(exposition)")
            kill(second.processIdentifier, SIGTERM)
            _ = try await second.exited()
            #expect(second.terminationStatus == 0, "\(log("second"))")
        }
    }
}
