import NIOCore
import NIOEmbedded
@testable import TCPProxy
import Testing

/// The relay pair without sockets: two embedded channels on one loop, each with a probe of what
/// gets past its relay towards the socket.
@Suite("relay handler")
struct RelayHandlerTests {
    /// Counts `read()` calls that reach the channel's head, and records output closes (which an
    /// embedded channel would turn into full closes) instead of passing them on.
    final class HeadProbe: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        var events: [String] = []

        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            events.append("write \(unwrapOutboundIn(data).readableBytes)")
            context.write(data, promise: promise)
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            guard mode == .all else {
                events.append("close output")
                promise?.succeed(())
                return
            }
            context.close(mode: mode, promise: promise)
        }
    }

    struct Pair {
        let loop = EmbeddedEventLoop()
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let clientReads = HeadProbe()
        let serverReads = HeadProbe()
        let clientRelay = RelayHandler()
        let serverRelay = RelayHandler()

        init(joined: Bool = true) throws {
            client = EmbeddedChannel(loop: loop)
            server = EmbeddedChannel(loop: loop)
            try client.pipeline.syncOperations.addHandlers([clientReads, clientRelay])
            try server.pipeline.syncOperations.addHandlers([serverReads, serverRelay])
            let somewhere = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
            try client.connect(to: somewhere).wait()
            try server.connect(to: somewhere).wait()
            if joined { RelayHandler.join(clientRelay, serverRelay) }
        }
    }

    @Test("reads wait until the pair is joined, then go ahead")
    func readsHeldUntilJoined() throws {
        let pair = try Pair(joined: false)
        pair.client.read()
        #expect(pair.clientReads.reads == 0)
        RelayHandler.join(pair.clientRelay, pair.serverRelay)
        #expect(pair.clientReads.reads == 1, "the held read is released by the join")
    }

    @Test("what one side reads is written and flushed on the other")
    func copies() throws {
        let pair = try Pair()
        try pair.client.writeInbound(ByteBuffer(string: "hello"))
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "hello"))
        try pair.server.writeInbound(ByteBuffer(string: "back"))
        #expect(try pair.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "back"))
    }

    @Test("backpressure: no read while the partner is not writable; writability brings it back")
    func backpressure() throws {
        let pair = try Pair()
        pair.server.isWritable = false
        pair.server.pipeline.fireChannelWritabilityChanged()
        pair.client.read()
        #expect(pair.clientReads.reads == 0, "the client side must stop reading")
        pair.server.isWritable = true
        pair.server.pipeline.fireChannelWritabilityChanged()
        #expect(pair.clientReads.reads == 1)
        pair.client.read()
        #expect(pair.clientReads.reads == 2)
    }

    @Test("an end of input closes the partner's output after what came before it")
    func halfClose() throws {
        let pair = try Pair()
        try pair.client.writeInbound(ByteBuffer(string: "last"))
        pair.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        pair.loop.run()
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "last"))
        #expect(pair.serverReads.events == ["write 4", "write 0", "close output"], "the output closes after the last bytes")
        #expect(pair.client.isActive, "the side whose input ended stays open for the answer")
        #expect(pair.server.isActive)
        #expect(pair.clientReads.events.isEmpty, "nothing closes the client's output")
    }

    @Test("a side that goes away without an orderly end closes the other")
    func abruptClose() throws {
        let pair = try Pair()
        #expect(pair.server.isActive)
        try pair.client.close().wait()
        pair.loop.run()
        #expect(!pair.server.isActive)
    }
}
