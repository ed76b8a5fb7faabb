import Hummingbird
import NIOCore
import SluiceCore

/// The request context: Hummingbird's core storage, the socket's peer address
/// (access control and rate limiting use it), and who the request acts for.
public struct SluiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Set by `AdmissionMiddleware` on every route that acts for someone.
    public var principal: Principal?
    /// The rate limit's bucket the request was admitted under; nil when its client is exempt.
    var rateBucket: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Who the request acts for; a route mounted without admission is a bug, answered as one.
    var caller: Principal {
        get throws {
            guard let principal else { throw APIError(.internal, "the route was reached without admission") }
            return principal
        }
    }
}
