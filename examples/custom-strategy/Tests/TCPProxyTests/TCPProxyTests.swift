import NIOCore
import NIOPosix
import SashaSDK
import TCPProxy
import Testing

/// The strategy in-process, on real loopback sockets: the proxy on 127.0.3.1, an echo server on
/// 127.0.3.2, a hand-made host whose policy always picks the echo server.
@Suite("tcp-proxy")
struct TCPProxyTests {
    static let vip = IPv4Address("127.0.3.1")!
    static let server = IPv4Address("127.0.3.2")!

    /// A proxy started on the VIP at a free port, its host, and the echo server it forwards to.
    struct Rig {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let record = EchoRecord()
        let echo: Channel
        let host: TestHost
        let proxy: TCPProxy
        let port: Int

        init(options: String = "{}", picking: IPv4Address? = TCPProxyTests.server, serverPort: Int? = nil) throws {
            echo = try startEchoServer(group: group, host: "127.0.3.2", record: record)
            host = TestHost(picking: picking)
            port = try freePort(on: "127.0.3.1", group: group)
            proxy = try TCPProxy(
                options: PluginOptions(json: options),
                context: StrategyContext(node: IPv4Address("127.0.3.9")!, vip: TCPProxyTests.vip, ports: [UInt16(port)]),
                host: host.pluginHost)
            let echoPort = UInt16(serverPort ?? echo.localAddress!.port!)
            proxy.serversChanged(ServerList(servers: [Server(address: TCPProxyTests.server, port: echoPort)]))
            try proxy.start()
        }

        func connect() throws -> (channel: Channel, ended: EventLoopFuture<ByteBuffer>) {
            try connectClient(group: group, host: "127.0.3.1", port: port)
        }

        func shutDown() {
            proxy.stop()
            try? echo.close().wait()
            try? group.syncShutdownGracefully()
        }
    }

    @Test("1 MiB goes through and comes back intact; a half-close travels through and both sides close")
    func echoesOneMebibyte() async throws {
        let rig = try Rig()
        defer { rig.shutDown() }
        let (client, ended) = try rig.connect()
        var payload = ByteBuffer()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<(1 << 20) / 8 { payload.writeInteger(generator.next() as UInt64) }

        try await client.writeAndFlush(payload).get()
        // The client shuts its output: the proxy must pass the end on to the server only after
        // the last byte, the server then closes, and the proxy passes that back.
        try await client.close(mode: .output).get()
        let echoed = try await ended.get()

        #expect(echoed.readableBytes == 1 << 20)
        #expect(echoed == payload, "the bytes came back in order and unchanged")
        #expect(rig.record.received.load(ordering: .relaxed) == 1 << 20, "the server saw every byte before the end")
        try await client.closeFuture.get()
        try await waitUntil { rig.record.closed.load(ordering: .relaxed) == 1 && rig.host.closed.load(ordering: .relaxed) == 1 }
        #expect(rig.host.opened.load(ordering: .relaxed) == 1)
        #expect(rig.proxy.stats() == #"{"accepted":1,"active":0,"failed":0}"#)
    }

    @Test("bytes flow both ways at once, across several connections")
    func severalConnections() async throws {
        let rig = try Rig()
        defer { rig.shutDown() }
        var clients: [(channel: Channel, ended: EventLoopFuture<ByteBuffer>, sent: ByteBuffer)] = []
        for index in 0..<8 {
            let (channel, ended) = try rig.connect()
            let sent = ByteBuffer(repeating: UInt8(index), count: 64 * 1024 + index)
            channel.writeAndFlush(sent, promise: nil)
            clients.append((channel, ended, sent))
        }
        try await waitUntil({ rig.proxy.stats().contains(#""active":8"#) }, rig.proxy.stats())
        for client in clients {
            try await client.channel.close(mode: .output).get()
            #expect(try await client.ended.get() == client.sent)
        }
        try await waitUntil { rig.host.closed.load(ordering: .relaxed) == 8 }
        #expect(rig.proxy.stats() == #"{"accepted":8,"active":0,"failed":0}"#)
    }

    @Test("the server closing first closes the client")
    func serverCloses() async throws {
        let rig = try Rig()
        defer { rig.shutDown() }
        let (client, ended) = try rig.connect()
        try await client.writeAndFlush(ByteBuffer(string: "bye")).get()
        #expect(String(buffer: try await ended.get()) == "bye", "the last bytes before the server's close arrive")
        try await client.closeFuture.get()
        try await waitUntil { rig.host.closed.load(ordering: .relaxed) == 1 }
        #expect(rig.record.closed.load(ordering: .relaxed) == 1)
        #expect(rig.proxy.stats() == #"{"accepted":1,"active":0,"failed":0}"#)
    }

    @Test("a server that refuses: the client is closed, the failure counted, the server left out for 5 s")
    func connectFailure() async throws {
        let closedPort = try freePort(on: "127.0.3.2", group: MultiThreadedEventLoopGroup.singleton)
        let rig = try Rig(serverPort: closedPort)
        defer { rig.shutDown() }
        let (client, ended) = try rig.connect()
        #expect(try await ended.get().readableBytes == 0)
        try await client.closeFuture.get()
        try await waitUntil { rig.proxy.stats().contains(#""failed":1"#) }
        let excluded = rig.host.excluded.withLock { $0 }
        #expect(excluded.count == 1)
        #expect(excluded.first?.server == TCPProxyTests.server)
        #expect(excluded.first?.nanoseconds == 5_000_000_000)
        #expect(rig.host.opened.load(ordering: .relaxed) == 0)
        #expect(rig.proxy.stats() == #"{"accepted":1,"active":0,"failed":1}"#)
    }

    @Test("no server to pick: the client is closed and the failure counted, nobody excluded")
    func noServer() async throws {
        let rig = try Rig(picking: nil)
        defer { rig.shutDown() }
        let (client, _) = try rig.connect()
        try await client.closeFuture.get()
        try await waitUntil { rig.proxy.stats() == #"{"accepted":1,"active":0,"failed":1}"# }
        #expect(rig.host.excluded.withLock { $0.isEmpty })
    }

    @Test("stop closes the listener and the open connections, and returns when they are closed")
    func stopClosesEverything() async throws {
        let rig = try Rig()
        defer { rig.shutDown() }
        let (client, ended) = try rig.connect()
        try await client.writeAndFlush(ByteBuffer(string: "ping")).get()
        try await waitUntil({ rig.proxy.stats().contains(#""active":1"#) }, rig.proxy.stats())
        rig.proxy.stop()
        #expect(rig.proxy.stats().contains(#""active":0"#), "stop returned before the connection closed")
        #expect(rig.host.closed.load(ordering: .relaxed) == 1)
        _ = try await ended.get()
        try await client.closeFuture.get()
        try await waitUntil { rig.record.closed.load(ordering: .relaxed) == 1 }
        await #expect(throws: (any Error).self) { try await connectClient(group: rig.group, host: "127.0.3.1", port: rig.port).channel.closeFuture.get() }
    }

    @Test("options: connect_timeout_ms is read and checked, unknown keys are refused")
    func options() throws {
        let context = StrategyContext(node: TCPProxyTests.vip, vip: TCPProxyTests.vip, ports: [8090])
        _ = try TCPProxy(options: PluginOptions(json: #"{"connect_timeout_ms": 500}"#), context: context, host: nil)
        #expect(throws: OptionError(key: "connect_timeout_ms", "expected a whole number, got text 'fast'")) {
            _ = try TCPProxy(options: PluginOptions(json: #"{"connect_timeout_ms": "fast"}"#), context: context, host: nil)
        }
        #expect { _ = try TCPProxy(options: PluginOptions(json: #"{"connect_timeout_ms": 0}"#), context: context, host: nil) } throws: {
            ($0 as? OptionError)?.key == "connect_timeout_ms"
        }
        #expect(throws: OptionError(key: "timeout", "unknown option 'timeout'; known options: connect_timeout_ms")) {
            _ = try TCPProxy(options: PluginOptions(json: #"{"timeout": 5}"#), context: context, host: nil)
        }
        #expect(throws: OptionError.self) {
            try TCPProxy(options: PluginOptions(), context: context, host: nil).start()
        }
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(
    _ condition: () -> Bool, _ state: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within 5 s; \(state())", sourceLocation: sourceLocation)
}
