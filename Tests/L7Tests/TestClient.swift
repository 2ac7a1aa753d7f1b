import NIOCore
import NIOHTTP1
import NIOPosix
import SashaSDK

/// A response as a test client received it.
struct TestResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
    var text: String { String(buffer: body) }
    var status: UInt { head.status.code }
    func header(_ name: String) -> String? { head.headers.first(name: name) }
}

enum TestClientError: Error { case closed, timedOut }

/// An HTTP/1.1 client on one keep-alive connection: send requests, read responses in order.
final class TestClient: @unchecked Sendable {
    enum Event: Sendable {
        case part(HTTPClientResponsePart)
        case closed
    }

    let channel: Channel
    private var events: AsyncStream<Event>.AsyncIterator

    private init(channel: Channel, events: AsyncStream<Event>) {
        self.channel = channel
        self.events = events.makeAsyncIterator()
    }

    static func connect(to address: IPv4Address, port: UInt16) async throws -> TestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Forwarder(continuation: continuation))
                }
            }
            .connect(host: address.description, port: Int(port)).get()
        return TestClient(channel: channel, events: stream)
    }

    func send(_ method: HTTPMethod = .GET, _ uri: String, headers: [(String, String)] = [], body: ByteBuffer? = nil, host: String = "example.com") {
        var fields = HTTPHeaders(headers)
        if !fields.contains(name: "host") { fields.add(name: "host", value: host) }
        if let body, !fields.contains(name: "content-length"), !fields.contains(name: "transfer-encoding") {
            fields.add(name: "content-length", value: String(body.readableBytes))
        }
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields)), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    /// The next whole response; throws `closed` if the connection ends first.
    func response() async throws -> TestResponse {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        while let event = await events.next() {
            switch event {
            case .part(.head(let received)): head = received
            case .part(.body(var chunk)): body.writeBuffer(&chunk)
            case .part(.end):
                guard let head else { throw TestClientError.closed }
                return TestResponse(head: head, body: body)
            case .closed: throw TestClientError.closed
            }
        }
        throw TestClientError.closed
    }

    func get(_ uri: String, host: String = "example.com", headers: [(String, String)] = []) async throws -> TestResponse {
        send(.GET, uri, headers: headers, host: host)
        return try await response()
    }

    /// Waits until the proxy closes the connection (true) or `timeout` passes (false).
    func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await self.channel.closeFuture.get()) != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func close() { channel.close(promise: nil) }

    private final class Forwarder: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let continuation: AsyncStream<Event>.Continuation
        init(continuation: AsyncStream<Event>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(.part(unwrapInboundIn(data)))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.yield(.closed)
            continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}

/// Raw bytes to the proxy and whatever comes back until it closes: for input no well-behaved
/// client would send.
enum RawClient {
    static func exchange(_ request: String, with address: IPv4Address, port: UInt16, timeout: Duration = .seconds(5)) async throws -> String {
        try await exchange([request], with: address, port: port, pause: .zero, timeout: timeout)
    }

    /// Sends `pieces` (as UTF-8) with `pause` between them, then reads until close or `timeout`.
    static func exchange(_ pieces: [String], with address: IPv4Address, port: UInt16, pause: Duration, timeout: Duration = .seconds(5)) async throws -> String {
        try await exchange(bytes: pieces.map { Array($0.utf8) }, with: address, port: port, pause: pause, timeout: timeout)
    }

    /// Sends `pieces` byte for byte with `pause` between them, then reads until close or `timeout`.
    static func exchange(bytes pieces: [[UInt8]], with address: IPv4Address, port: UInt16, pause: Duration, timeout: Duration = .seconds(5)) async throws -> String {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer?.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation)) }
            }
            .connect(host: address.description, port: Int(port)).get()
        let writer = Task {
            for (index, piece) in pieces.enumerated() {
                if index > 0, pause > .zero { try? await Task.sleep(for: pause) }
                try? await channel.writeAndFlush(channel.allocator.buffer(bytes: piece))
            }
        }
        defer { writer.cancel() }
        let collect = Task { () -> String in
            var received = ""
            for await chunk in stream {
                guard let chunk else { break }
                // One character per byte (Latin-1), so binary bodies keep their length.
                received.unicodeScalars.append(contentsOf: chunk.readableBytesView.map { Unicode.Scalar($0) })
            }
            return received
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            channel.close(promise: nil)
        }
        let text = await collect.value
        timer.cancel()
        channel.close(promise: nil)
        return text
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer?>.Continuation
        init(continuation: AsyncStream<ByteBuffer?>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) {
            continuation.yield(nil)
            continuation.finish()
        }
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}
