import NIOCore
import NIOHTTP1
import NIOPosix
import SashaBase

/// One `GET <path>` to a local HTTP server over a fresh connection, answered by the response
/// status. Refusal, a closed connection or no status within `timeout` fail with the reason.
enum HealthProbe {
    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "no response in time" }
    }

    struct ClosedEarly: Error, CustomStringConvertible {
        var description: String { "connection closed before a response" }
    }

    static func status(
        group: any EventLoopGroup, address: IPv4Address, port: UInt16, path: String, timeout: TimeAmount
    ) async throws -> HTTPResponseStatus {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: HTTPResponseStatus.self)
        let deadline = eventLoop.scheduleTask(in: timeout) { promise.fail(TimedOut()) }
        let host = address.description
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StatusCatcher(promise: promise))
                }
            }
            .connect(host: host, port: Int(port))
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "User-Agent", value: "sasha-health")
                    headers.add(name: "Connection", value: "close")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                }
            }
        defer { deadline.cancel() }
        return try await promise.futureResult.get()
    }

    /// Completes the promise with the first response status, or fails it when the connection
    /// ends first.
    private final class StatusCatcher: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let promise: EventLoopPromise<HTTPResponseStatus>

        init(promise: EventLoopPromise<HTTPResponseStatus>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) { promise.succeed(head.status) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ClosedEarly())
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}
