import Hummingbird

/// The OpenAPI 3.1 description of the API, `openapi.json` beside this file,
/// compiled into the binary and served at `/openapi.json`. `OpenAPITests`
/// checks that its operations are exactly the router's routes.
enum OpenAPIDocument {
    static let bytes = PackageResources.openapi_json

    static var response: Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
