import NIOCore

/// One side of a proxied connection: what its channel reads, it writes to its partner (the handler
/// on the other connection of the pair).
///
/// Backpressure: it lets its channel read only while the partner's channel can take more, and
/// the partner lets it read again when its channel becomes writable. An end of input (the peer
/// shut its side) becomes a close of the partner's output once everything before it is written,
/// so a half-closed connection stays half-open through the proxy. Any other end (a reset, an
/// error) closes the partner at once.
///
/// Both channels of a pair run on one event loop, so the two handlers call each other directly.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var partner: RelayHandler?
    /// The channel asked to read while the partner could not take more, or was not joined yet.
    private var readHeld = false
    /// This channel's input ended in order (the peer's FIN).
    private var inputEnded = false
    /// This channel's output is being closed in order, after the partner's input ended.
    private var outputEnding = false
    /// Runs once when the channel becomes active: the client side starts routing there, since a
    /// connect to a local server can complete before the accepted channel is active.
    private var whenActive: ((Channel) -> Void)?

    init(whenActive: ((Channel) -> Void)? = nil) {
        self.whenActive = whenActive
    }

    /// Joins two handlers once both are in their pipelines; call on their (shared) event loop.
    /// Until then each holds its channel's reads, so no byte arrives with nowhere to go.
    static func join(_ first: RelayHandler, _ second: RelayHandler) {
        first.partner = second
        second.partner = first
        first.resumeReading()
        second.resumeReading()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if let start = whenActive {
            whenActive = nil
            start(context.channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.write(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.canTakeMore {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputEnded = true
            partner?.endOutput()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // An orderly end (input ended, output closed after its writes) leaves the partner to
        // finish its own writes; anything else ends the pair now.
        if !(inputEnded && outputEnding) { partner?.context?.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private var canTakeMore: Bool { context?.channel.isWritable ?? false }

    private func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    /// The partner's input ended: close this channel's output after what came before is written
    /// (an empty write completes after every earlier one). NIO closes the channel fully if its
    /// input has ended too.
    private func endOutput() {
        guard let context, !outputEnding else { return }
        outputEnding = true
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
    }
}
