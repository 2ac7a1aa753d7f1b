import NIOCore
import NIOHTTP1

/// A WebSocket (or other accepted `Upgrade`) connection after its 101: bytes copied both ways
/// between the client's channel and the server's, with backpressure, until either side closes.
///
/// Both channels live on one event loop (the server connection was made on the client's), so the
/// two halves call each other directly.
final class TunnelHalf: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: TunnelHalf?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    /// Two halves that know each other (broken up when either channel closes).
    static func pair() -> (client: TunnelHalf, server: TunnelHalf) {
        let client = TunnelHalf()
        let server = TunnelHalf()
        client.partner = server
        server.partner = client
        return (client, server)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.forward(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        partner = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // This side can take more again: let the other side read.
        if context.channel.isWritable { partner?.resumeRead() }
        context.fireChannelWritabilityChanged()
    }

    /// Reads wait while the partner's channel cannot take more.
    func read(context: ChannelHandlerContext) {
        if let partner, let partnerContext = partner.context, !partnerContext.channel.isWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }

    private func forward(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func resumeRead() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }
}

/// What the request asks to upgrade to, when the proxy will carry it: a `GET` in HTTP/1.1 with
/// `Connection: upgrade` and `Upgrade: websocket` (RFC 6455 §4.1). Any other `Upgrade` is dropped
/// on the way to the server, as before.
enum UpgradeRequest {
    static func isWebSocket(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET, head.version == .http1_1, head.headers.contains(name: "upgrade") else { return false }
        return names(head.headers, "connection", "upgrade") && names(head.headers, "upgrade", "websocket")
    }

    /// Whether the list field `field` has the token `token` (case-insensitive).
    static func names(_ headers: HTTPHeaders, _ field: String, _ token: String) -> Bool {
        headers[canonicalForm: field].contains { $0.lowercased() == token }
    }

    /// NIO's decoder stops parsing after a request that asks for any upgrade (its `Upgrade` and
    /// `Connection: upgrade` both there); such a connection takes no further request unless the
    /// tunnel opens.
    static func stopsTheParser(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "upgrade") && names(head.headers, "connection", "upgrade")
    }
}
