import NIOCore
import NIOHTTP1

/// The WebSocket handshake's end: the server said 101, so both connections stop speaking HTTP
/// and become one byte tunnel (`TunnelHalf`). The server connection leaves the pool for good.
extension ProxyHandler {
    func openTunnel(_ exchange: Exchange, _ switched: HTTPResponseHead) {
        guard let context, let connection = exchange.upstream else { return }
        self.exchange = nil
        exchange.upstream = nil
        connection.handler.owner = nil
        tunnelling = true
        responseInProgress = true
        deadline.clear()
        readHold = []
        counters.countResponse(status: 101)

        // The policy sees the server busy until the tunnel closes.
        if exchange.openReported, let server = exchange.server {
            exchange.openReported = false
            let host = environment.host
            connection.channel.closeFuture.whenComplete { _ in host.connectionClosed(on: server) }
        }

        var head = ForwardedHeaders.clientResponse(switched, clientVersion: exchange.request.version, keepAlive: true)
        head.headers.replaceOrAdd(name: "connection", value: "upgrade")
        for value in switched.headers["upgrade"] { head.headers.add(name: "upgrade", value: value) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)

        // The codecs go in this order: nothing may write bytes through an HTTP encoder, and
        // bytes either side sent past the handshake (held by the decoders) reach the other side.
        let halves = TunnelHalf.pair()
        let client = context.pipeline.syncOperations
        let server = connection.channel.pipeline.syncOperations
        do {
            client.removeHandler(context: try client.context(handlerType: HTTPResponseEncoder.self), promise: nil)
            server.removeHandler(context: try server.context(handlerType: HTTPRequestEncoder.self), promise: nil)
            try client.addHandler(halves.client, position: .before(self))
            try server.addHandler(halves.server, position: .before(connection.handler))
            client.removeHandler(context: try client.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
            server.removeHandler(context: try server.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self), promise: nil)
        } catch {
            environment.host.log(.warning, "l7 could not open a WebSocket tunnel: \(error)")
            connection.close()
            closeNow()
            return
        }
        connection.handler.resumeReads()
        context.flush()
        connection.flush()
        if readPending {
            readPending = false
            context.read()
        }
    }
}
