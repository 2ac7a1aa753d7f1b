import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
@testable import L7Strategy
import SashaSDK
import Testing

/// `Upgrade: websocket` through the proxy: the handshake reaches the server with its upgrade
/// fields, the 101 comes back, and from there the two connections are one byte tunnel.
@Suite struct WebSocketTests {
    /// A WebSocket server that echoes each text frame and answers a close with a close.
    static func echoServer(on address: IPv4Address, port: UInt16) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Echo()) }
                    })
                return channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: address.description, port: Int(port)).get()
    }

    final class Echo: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: frame.unmaskedData)), promise: nil)
            case .connectionClose:
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer())))
                    .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            default:
                break
            }
        }
    }

    /// A client frame: FIN, the opcode, masked as RFC 6455 §5.3 requires.
    static func clientFrame(opcode: UInt8, _ payload: String) -> [UInt8] {
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var bytes: [UInt8] = [0x80 | opcode, 0x80 | UInt8(payload.utf8.count)] + mask
        bytes += payload.utf8.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return bytes
    }

    @Test func aWebSocketEchoWorksThroughTheProxy() async throws {
        let address = TestAddresses.next()
        let port = try FreePort.on(address)
        let server = try await Self.echoServer(on: address, port: port)
        defer { server.close(promise: nil) }
        let proxy = try ProxyHarness()
        defer { proxy.stop() }
        proxy.setServers([Server(address: address, port: port, tagMask: 0, isUp: true)])

        let handshake = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let pieces = [Array(handshake.utf8), Self.clientFrame(opcode: 0x1, "hello sasha"), Self.clientFrame(opcode: 0x1, "second"), Self.clientFrame(opcode: 0x8, "")]
        let reply = try await RawClient.exchange(bytes: pieces, with: proxy.vip, port: proxy.port, pause: .milliseconds(150))
        #expect(reply.hasPrefix("HTTP/1.1 101"), "\(reply.prefix(200))")
        // RFC 6455 §1.3's example key and its accept value: the server's handshake came through.
        #expect(reply.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(reply.contains("\u{81}\u{0B}hello sasha"))
        #expect(reply.contains("\u{81}\u{06}second"))
        // The server's close frame, then the proxy closed the client (RawClient returned early).
        #expect(reply.hasSuffix("\u{88}\u{00}"))
        #expect(proxy.stat("active") == 0 || proxy.stat("active") == 1)
    }

    @Test func anUpgradeTheServerDeclinesLeavesAnHTTPConnection() async throws {
        let backend = try Backend("plain")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [backend])
        defer { proxy.stop() }
        let handshake = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        let next = "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let reply = try await RawClient.exchange(handshake + next, with: proxy.vip, port: proxy.port)
        // The server answered 200 (no switch): the next request on the connection is HTTP again.
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.components(separatedBy: "HTTP/1.1 200").count == 3, "\(reply)")
        #expect(backend.seen.requests == 2)
    }

    @Test func connectIsRefused() async throws {
        let backend = try Backend("b")
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let reply = try await RawClient.exchange("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", with: proxy.vip, port: proxy.port)
        #expect(reply.hasPrefix("HTTP/1.1 405"))
        #expect(backend.seen.requests == 0)
    }
}
