import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the socket's peer
/// address, which access control and rate limiting use.
public struct SluiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
