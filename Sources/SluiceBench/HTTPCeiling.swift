import Foundation
import Hummingbird

/// The reference of the publish bar (issue 17: 12,000 requests/s where this
/// does 27,000): a bare Hummingbird server that reads a published document
/// with Foundation's decoder and answers 202 with a small JSON body, with no
/// store, no keys and no limits. `bench/api-bars.sh` measures it before and
/// after its runs, so that each run says how fast the machine was, which on
/// this shared machine swings by half from one hour to the next.
public enum HTTPCeiling {
    struct Meta: Decodable {
        let tenant: String
        let docId: String
        let mimeType: String?
    }

    struct Document: Decodable {
        let meta: Meta
        let content: String
    }

    /// `POST /v1/ingest/publish` and `GET /healthz`.
    public static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/ingest/publish") { request, context -> Response in
            let document = try await request.decode(as: Document.self, context: context)
            let body = try JSONEncoder().encode(["status": "queued", "docId": document.meta.docId])
            return Response(status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/healthz") { _, _ in HTTPResponse.Status.ok }
        return router
    }

    /// Serves `router()` at `host:port` until the process is stopped.
    public static func serve(host: String, port: Int) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port)))
        try await app.runService()
    }
}
