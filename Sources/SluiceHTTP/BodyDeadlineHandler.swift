import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not arrived in full `timeout`
/// after its head: a client that declares a body and sends it slowly, or not
/// at all, holds a connection only that long.
///
/// A channel handler rather than a timer in each request's handler: it costs
/// one event-loop timer per request, where a sleeping task per request cost a
/// quarter of the publish throughput.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

extension APIRouter {
    /// The HTTP/1 server Sluice's API runs on: the body deadline above, and
    /// Hummingbird's idle timeout for connections with no request in progress.
    public static func server(bodyTimeout: Duration, idleTimeout: Duration) -> HTTPServerBuilder {
        let body = TimeAmount.nanoseconds(Int64(bodyTimeout.components.seconds) * 1_000_000_000)
        let idle = TimeAmount.nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000)
        return .http1(configuration: .init(additionalChannelHandlers: [BodyDeadlineHandler(timeout: body)], idleTimeout: idle))
    }
}
