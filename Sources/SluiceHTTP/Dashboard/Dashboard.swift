import Hummingbird

/// `GET /`: one self-contained page (its styles and script inline, nothing
/// fetched from elsewhere, so it works offline) that polls `/v1/stats` and
/// `/v1/dead-letters` every three seconds. The page holds no data and is
/// public; its data routes need an admin key once keys exist, which the page
/// asks for and keeps in the browser's local storage.
enum Dashboard {
    /// The page, compiled into the binary from `dashboard.html`.
    static let page = ByteBuffer(bytes: PackageResources.dashboard_html)

    /// The browser is told to load nothing from anywhere else, and to send
    /// requests only to this server.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static var response: Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: contentSecurityPolicy,
                .cacheControl: "no-cache",
                .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: page))
    }
}
