import NIOCore
import NIOHTTP1
import NIOPosix
@testable import L7Strategy
import SashaSDK
import Synchronization
import Testing

/// Bodies stream through the proxy in both directions, with backpressure instead of buffering.
@Suite struct StreamingTests {
    static let size = 16 << 20

    @Test func aLargeUploadStreamsIntactToTheServer() async throws {
        let backend = try Backend("sink", behaviour: .sink)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        var checksum: UInt64 = 0
        for offset in stride(from: 0, to: Self.size, by: 65_536) {
            checksum = PatternBytes.checksum(PatternBytes.buffer(offset: offset, count: 65_536, allocator: ByteBufferAllocator()), seed: checksum)
        }
        // Written piece by piece as the connection takes them.
        client.channel.write(HTTPClientRequestPart.head(HTTPRequestHead(
            version: .http1_1, method: .PUT, uri: "/upload",
            headers: ["host": "example.com", "content-length": String(Self.size)])), promise: nil)
        for offset in stride(from: 0, to: Self.size, by: 65_536) {
            let piece = PatternBytes.buffer(offset: offset, count: 65_536, allocator: client.channel.allocator)
            try await client.channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(piece)))
        }
        try await client.channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        let response = try await client.response()
        #expect(response.text == "\(Self.size) \(checksum)")
        #expect(proxy.stat("max_buffered_bytes") < 4 << 20)
    }

    @Test func aLargeDownloadReachesASlowReaderIntactWithBoundedBuffering() async throws {
        for chunked in [false, true] {
            let backend = try Backend("big", behaviour: .download(size: Self.size, chunked: chunked))
            defer { backend.close() }
            let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [backend])
            defer { proxy.stop() }
            let result = try await SlowReader.download(from: proxy.vip, port: proxy.port, path: "/big")
            #expect(result.status == 200)
            #expect(result.bytes == Self.size)
            #expect(result.intact)
            #expect(result.chunked == chunked, "chunked responses stay chunked, framed ones keep their length")
            // The proxy never held more than a few reads' worth: nowhere near the 16 MiB body.
            let buffered = proxy.stat("max_buffered_bytes")
            #expect(buffered < 1 << 20, "proxy buffered \(buffered) bytes for one client")
        }
    }

    @Test func aChunkedUploadPassesThroughChunked() async throws {
        let backend = try Backend("sink", behaviour: .sink)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let request = "POST /c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let reply = try await RawClient.exchange(request, with: proxy.vip, port: proxy.port)
        let checksum = PatternBytes.checksum(ByteBuffer(string: "hello world"), seed: 0)
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.hasSuffix("11 \(checksum)"))
        #expect(backend.seen.heads.last?.headers["transfer-encoding"] == ["chunked"])
    }
}

/// Downloads through a client that reads slowly (a read every few milliseconds), checking the
/// pattern as it goes without keeping the body.
enum SlowReader {
    struct Result: Sendable {
        var status: UInt = 0
        var bytes = 0
        var intact = true
        var chunked = false
    }

    static func download(from address: IPv4Address, port: UInt16, path: String) async throws -> Result {
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Result.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 65_536)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Verifier(promise: promise))
                }
            }
            .connect(host: address.description, port: Int(port)).get()
        try await channel.writeAndFlush(HTTPClientRequestPart.head(HTTPRequestHead(
            version: .http1_1, method: .GET, uri: path, headers: ["host": "example.com"])))
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        channel.read()
        let result = try await promise.futureResult.get()
        try? await channel.close()
        return result
    }

    private final class Verifier: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Result>
        var result = Result()
        var reads = 0

        init(promise: EventLoopPromise<Result>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                result.status = head.status.code
                result.chunked = head.headers["transfer-encoding"] == ["chunked"]
            case .body(let buffer):
                if !PatternBytes.matches(buffer, at: result.bytes) { result.intact = false }
                result.bytes += buffer.readableBytes
            case .end:
                promise.succeed(result)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            reads += 1
            // Every read waits a moment: a reader slower than the server.
            let delay: TimeAmount = reads % 4 == 0 ? .milliseconds(2) : .zero
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) { context.read() }
        }

        func channelInactive(context: ChannelHandlerContext) { promise.fail(TestClientError.closed) }
    }
}
