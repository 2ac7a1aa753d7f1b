import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A tiny HTTP server that answers every request with `status` (changeable while it runs), or
/// never answers while `silent` is set: the stand-in for an external service such as nginx.
final class StatusServer: Sendable {
    final class Control: Sendable {
        let status = Atomic<Int>(200)
        let silent = Atomic<Bool>(false)
    }

    let control = Control()
    private let channel: any Channel

    var port: UInt16 { UInt16(channel.localAddress!.port!) }

    init(host: String = "127.0.3.5", port: Int = 0) async throws {
        let control = control
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(control: control))
                }
            }
            .bind(host: host, port: port).get()
    }

    func setStatus(_ code: Int) { control.status.store(code, ordering: .relaxed) }
    func setSilent(_ silent: Bool) { control.silent.store(silent, ordering: .relaxed) }

    func stop() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let control: Control

        init(control: Control) { self.control = control }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data), !control.silent.load(ordering: .relaxed) else { return }
            let status = HTTPResponseStatus(statusCode: control.status.load(ordering: .relaxed))
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: ["Content-Length": "0"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
