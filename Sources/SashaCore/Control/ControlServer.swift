import Foundation
import NIOCore
import NIOPosix
import SashaSDK

/// The daemon's side of the control socket: one request line of JSON in, one response line out,
/// then the connection closes. Requests: `{"command": "status"}`. Everything runs on the ring's
/// event loop, so a status is read from the machine without a lock.
enum ControlServer {
    static func bind(_ socket: ControlSocketPath, group: any EventLoopGroup, responder: ControlResponder)
        -> EventLoopFuture<any Channel> {
        ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlHandler(responder: responder))
                }
            }
            .bind(unixDomainSocketPath: socket.path)
            .map { channel in
                socket.restrict()
                return channel
            }
    }
}

/// Answers control requests from the node's state.
struct ControlResponder: Sendable {
    let node: RingNode
    let strategy: String
    let policy: String
    /// What the layers above the ring add to a status: the strategy's stats, the member's service.
    var strategyStats: @Sendable () -> JSONValue? = { nil }
    var service: @Sendable () -> StatusReport.Service? = { nil }

    private struct Request: Decodable {
        var command: String
    }

    /// Runs on the node's event loop.
    func respond(to line: String) -> String {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(line.utf8)) else {
            return Self.error("a request is one line of JSON such as {\"command\":\"status\"}")
        }
        switch request.command {
        case "status":
            let report = StatusReport(node.snapshot(), strategy: strategy, policy: policy, strategyStats: strategyStats(),
                                      service: service())
            return (try? report.jsonLine()) ?? Self.error("cannot encode the status")
        default:
            return Self.error("unknown command '\(request.command)'; known: status")
        }
    }

    static func error(_ message: String) -> String {
        let encoded = (try? JSONEncoder().encode(["error": message])).map { String(decoding: $0, as: UTF8.self) }
        return encoded ?? "{\"error\":\"internal\"}"
    }
}

final class ControlHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request longer than this is not one of ours.
    static let maximumRequest = 4096

    private let responder: ControlResponder
    private var pending = ByteBuffer()
    private var answered = false

    init(responder: ControlResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending.getString(at: pending.readerIndex, length: newline - pending.readerIndex) ?? ""
            answer(responder.respond(to: line), context: context)
        } else if pending.readableBytes > Self.maximumRequest {
            answer(ControlResponder.error("request too long"), context: context)
        }
    }

    private func answer(_ response: String, context: ChannelHandlerContext) {
        answered = true
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.value.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response + "\n"))).whenComplete { _ in
            context.value.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
