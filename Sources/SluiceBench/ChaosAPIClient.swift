import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceApp
import SluiceConnectors
import SluiceCore

/// Sluice's HTTP API, as the tenants' clients use it (each with its own key).
final class APIClient: @unchecked Sendable {
    let base: String
    let keys: [String: String]
    private let lock = NSLock()
    private var accepted = 0

    init(base: String, keys: [String: String]) {
        self.base = base
        self.keys = keys
    }

    var foreignAccepted: Int { lock.withLock { accepted } }

    func waitUntilHealthy(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if (try? await request("GET", "/readyz", key: nil, body: nil))?.0 == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SluiceError(.internal, "the child's API did not become ready within \(limit)")
    }

    /// Publishes `content` (nil: a tombstone); true once acknowledged (202).
    func send(key: World.Key, content: String?) async throws -> Bool {
        let status: Int?
        if let content {
            let body = try JSONSerialization.data(withJSONObject: ["meta": ["tenant": key.tenant, "docId": key.docId], "content": content])
            status = try? await request("POST", "/v1/ingest/publish", key: keys[key.tenant], body: body).0
        } else {
            let docId = key.docId.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? key.docId
            status = try? await request("DELETE", "/v1/tenants/\(key.tenant)/documents/\(docId)", key: keys[key.tenant], body: nil).0
        }
        return status == 202
    }

    /// One batch; true when every document was accepted.
    func batch(tenant: String, documents: [(World.Key, String)], priority: String) async throws -> Bool {
        let body = try JSONSerialization.data(withJSONObject: [
            "priority": priority,
            "documents": documents.map { key, content in ["meta": ["tenant": key.tenant, "docId": key.docId], "content": content] },
        ])
        guard let (status, data) = try? await request("POST", "/v1/ingest/batch", key: keys[tenant], body: body), status == 202,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return (object["accepted"] as? Int) == documents.count
    }

    /// A publish to `tenant` with another tenant's key; counted if accepted.
    func publishForeign(keyOf owner: String, to tenant: String, docId: String, content: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["meta": ["tenant": tenant, "docId": docId], "content": content])
        if let (status, _) = try? await request("POST", "/v1/ingest/publish", key: keys[owner], body: body), (200..<300).contains(status) {
            lock.withLock { accepted += 1 }
        }
    }

    func request(_ method: String, _ path: String, key: String?, body: Data?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await RemoteHTTP.client.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(data.readableBytesView))
    }
}
