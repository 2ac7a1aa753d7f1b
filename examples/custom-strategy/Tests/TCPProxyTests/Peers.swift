import NIOCore
import NIOPosix
import Synchronization

/// What the echo server saw: bytes received, connections accepted and closed.
final class EchoRecord: Sendable {
    let received = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let closed = Atomic<Int>(0)
}

/// The server behind the proxy: echoes what it reads; when its input ends it closes once the echo
/// is written (what a server does when its client half-closes). Reading "bye" alone, it echoes it
/// and closes first.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let record: EchoRecord

    init(record: EchoRecord) { self.record = record }

    func channelActive(context: ChannelHandlerContext) {
        record.accepted.add(1, ordering: .relaxed)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        record.received.add(buffer.readableBytes, ordering: .relaxed)
        if buffer.readableBytesView.elementsEqual("bye".utf8) {
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: flushed)
            flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        record.closed.add(1, ordering: .relaxed)
    }
}

func startEchoServer(group: EventLoopGroup, host: String, record: EchoRecord) throws -> Channel {
    try ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.allowRemoteHalfClosure, value: true)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler(record: record)) }
        }
        .bind(host: host, port: 0).wait()
}

/// The client in front of the proxy: collects what it reads, and completes `ended` with all of
/// it when the connection ends (input closed or the channel closed). Like most clients, it closes
/// once the server has ended its side.
final class CollectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var collected = ByteBuffer()
    private let ended: EventLoopPromise<ByteBuffer>

    init(ended: EventLoopPromise<ByteBuffer>) { self.ended = ended }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        collected.writeBuffer(&buffer)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            ended.succeed(collected)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) { ended.succeed(collected) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Connects a client whose every received byte is collected until the connection ends.
func connectClient(group: EventLoopGroup, host: String, port: Int) throws -> (channel: Channel, ended: EventLoopFuture<ByteBuffer>) {
    let loop = group.next()
    let ended = loop.makePromise(of: ByteBuffer.self)
    do {
        let channel = try ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CollectingHandler(ended: ended)) }
            }
            .connect(host: host, port: port).wait()
        return (channel, ended.futureResult)
    } catch {
        ended.fail(error)
        throw error
    }
}

/// A port nothing listens on at `host` now (the kernel's choice for a socket bound and closed).
func freePort(on host: String, group: EventLoopGroup) throws -> Int {
    let probe = try ServerBootstrap(group: group).bind(host: host, port: 0).wait()
    let port = probe.localAddress!.port!
    try probe.close().wait()
    return port
}
