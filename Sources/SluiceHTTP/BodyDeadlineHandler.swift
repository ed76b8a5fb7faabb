import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not arrived in full `timeout`
/// after its head: a client that declares a body and sends it slowly, or not
/// at all, holds a connection only that long.
///
/// A channel handler rather than a timer in each request's handler: a
/// sleeping task per request cost a quarter of the publish throughput. The
/// timer is set only when a read ends with a request still incomplete, so a
/// request that arrives whole in one read (most do) costs a clock reading,
/// not a timer set and cancelled.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    /// When the head of the request whose end has not come yet arrived.
    private var incompleteSince: NIODeadline?
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            cancelDeadline()
            incompleteSince = .now()
        case .end:
            cancelDeadline()
            incompleteSince = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let since = incompleteSince, deadline == nil {
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(deadline: since + timeout) { channel.close(promise: nil) }
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    private func cancelDeadline() {
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
