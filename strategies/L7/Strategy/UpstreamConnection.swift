import NIOCore
import SashaSDK

/// What an upstream connection reports to the client connection it currently serves.
protocol UpstreamOwner: AnyObject {
    func upstreamRead(_ buffer: ByteBuffer)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed (or failed: `error`) while this owner held it.
    func upstreamClosed(_ connection: UpstreamConnection, error: Error?)
}

/// The only handler of an upstream channel: hands the server's bytes to its owner (the client
/// connection it serves now; its `ProxyMachine` reads the HTTP) and holds back reads while the
/// owner's client cannot take more.
/// Lives on one event loop with its owner; an idle pooled connection has no owner.
final class UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    weak var owner: UpstreamOwner?
    weak var connection: UpstreamConnection?
    /// The pool holding the connection while it is idle (told when it closes).
    weak var idlePool: UpstreamPool?
    private(set) var context: ChannelHandlerContext?
    private var readsPaused = false
    private var readPending = false
    private var error: Error?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let owner else {
            // A server talking on an idle connection: nothing can make sense of it.
            context.close(promise: nil)
            return
        }
        owner.upstreamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) { owner?.upstreamReadComplete() }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner, let connection {
            self.owner = nil
            owner.upstreamClosed(connection, error: error)
        } else if let connection {
            idlePool?.forget(connection)
        }
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused { readPending = true } else { context.read() }
    }

    func pauseReads() { readsPaused = true }

    func resumeReads() {
        readsPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }
}

/// One keep-alive connection to a server, owned by the event loop it was made on.
final class UpstreamConnection {
    let channel: Channel
    let handler: UpstreamHandler
    let server: IPv4Address
    let port: UInt16
    /// True once it served a response and went back to the pool: a server may have closed it
    /// meanwhile, so a failure before any answer is not the server's fault.
    var reused = false

    init(channel: Channel, handler: UpstreamHandler, server: IPv4Address, port: UInt16) {
        self.channel = channel
        self.handler = handler
        self.server = server
        self.port = port
        handler.connection = self
    }

    var isWritable: Bool { channel.isWritable }

    func write(_ buffer: ByteBuffer) {
        handler.context?.write(NIOAny(buffer), promise: nil)
    }

    func flush() { handler.context?.flush() }

    /// Buffered outbound bytes, for the backpressure gauge.
    var bufferedBytes: Int { (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0 }

    /// Detaches it from its owner and closes it.
    func close() {
        handler.owner = nil
        handler.idlePool = nil
        channel.close(promise: nil)
    }
}
