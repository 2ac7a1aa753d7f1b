import NIOCore
import NIOHTTP1

/// Answers requests the HTTP decoder could not parse, then closes the connection: 431 when the
/// header section passed the decoder's limits, 400 for anything else malformed.
///
/// NIO's own `HTTPServerProtocolErrorHandler` answers every parse error with a bare 400; this one
/// tells a header flood apart and stamps `Date` and `Server` like every other response. It sits
/// after `HTTPServerPipelineHandler`, which holds a parse error back until earlier pipelined
/// responses are complete, and it only answers if no response is half written.
final class ProtocolErrorResponder: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseInProgress = false
    private var stamp = ResponseStamp()

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !responseInProgress else {
            context.close(promise: nil)
            return
        }
        let (status, text): (HTTPResponseStatus, String) =
            if case .headerOverflow = parseError {
                (.requestHeaderFieldsTooLarge, "request header fields too large\n")
            } else {
                (.badRequest, "bad request\n")
            }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        stamp.stamp(&headers, version: .http1_1, keepAlive: false)
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responseInProgress = true  // this server never sends 1xx
        case .end: responseInProgress = false
        default: break
        }
        context.write(data, promise: promise)
    }
}
