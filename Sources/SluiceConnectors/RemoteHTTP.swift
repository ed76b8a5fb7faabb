import AsyncHTTPClient
import NIOCore

/// The HTTP client of every remote call Sluice makes (embedders, sinks).
public enum RemoteHTTP {
    /// One client for the whole process, never shut down (as `HTTPClient.shared`),
    /// but giving up on a connection after 5 s rather than at the request's
    /// deadline, so a service that is down is seen as down quickly and its
    /// circuit breaker opens instead of every request hanging.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
