import NIOCore

/// The UDP socket's one handler: every datagram goes to the node as it arrived, its bytes read in
/// place by the machine.
final class RingDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let node: RingNode

    init(node: RingNode) { self.node = node }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        node.receive(unwrapInboundIn(data))
    }

    /// Read errors NIO survives (ECONNREFUSED, ENOMEM) are counted by cause and logged once per
    /// change. Sends do not pass through here: the node sends on its own descriptor (`RingSocket`).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        node.transportError(error)
    }
}
