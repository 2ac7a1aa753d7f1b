import NIOCore
import NIOPosix
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// A layer-4 proxy strategy: the dispatcher accepts TCP connections on the VIP's ports, asks the
/// host (the current policy) for a server for each, connects to it, and copies bytes both ways.
/// It knows nothing of the protocol inside, so it proxies anything over TCP.
///
/// It never picks a server itself: `host.pick` reaches whichever policy is current, so a live
/// policy swap takes effect on the next connection without this code knowing.
public final class TCPProxy: Strategy {
    public static let name = "tcp-proxy"
    public static let summary = "layer-4 TCP proxy: accepts on the VIP, connects to the server the policy picks, copies bytes both ways"

    /// How long a server that refused a connection is left out of new flows.
    static let exclusion: Duration = .seconds(5)

    private let context: StrategyContext
    private let host: PluginHost?
    private let connectTimeout: TimeAmount
    private let counters = ProxyCounters()
    private let ports = SnapshotCell(ServerPorts(ServerList(servers: [])))
    /// The event loops and listeners while dispatching; touched only by start and stop.
    private let running = Protected<Listening?>(nil)

    private struct Listening {
        let group: MultiThreadedEventLoopGroup
        let listeners: [Channel]
    }

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        let milliseconds = try options.int("connect_timeout_ms", default: 2000, in: 1...600_000)
        try options.rejectUnknownKeys()
        connectTimeout = .milliseconds(Int64(milliseconds))
        self.context = context
        self.host = host
    }

    deinit { stop() }

    public func start() throws(OptionError) {
        guard let host else { throw OptionError("tcp-proxy started without a host") }
        guard running.withLock({ $0 == nil }) else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        var listeners: [Channel] = []
        for port in context.ports {
            do {
                listeners.append(try listen(on: port, group: group, host: host).wait())
            } catch {
                for listener in listeners { try? listener.close().wait() }
                try? group.syncShutdownGracefully()
                throw OptionError("cannot listen on \(context.vip):\(port): \(error)")
            }
        }
        running.withLock { $0 = Listening(group: group, listeners: listeners) }
        host.log(.info, "tcp-proxy listening on \(context.vip) ports \(context.ports.map(String.init).joined(separator: ", "))")
    }

    /// Closes the listeners, then every open connection (shutting the event loops down closes
    /// the channels still registered on them), and returns when all are closed.
    public func stop() {
        guard let listening = running.withLock({ state in defer { state = nil }; return state }) else { return }
        for listener in listening.listeners { try? listener.close().wait() }
        try? listening.group.syncShutdownGracefully()
    }

    public func serversChanged(_ list: ServerList) {
        ports.replace(with: ServerPorts(list))
    }

    public func stats() -> String { counters.json }

    private func listen(on port: UInt16, group: MultiThreadedEventLoopGroup, host: PluginHost) -> EventLoopFuture<Channel> {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] client in
                client.eventLoop.makeCompletedFuture {
                    try client.pipeline.syncOperations.addHandler(RelayHandler { self.route($0, host: host) })
                }
            }
            .bind(to: SocketAddress(context.vip, port: port))
    }

    /// Asks the policy for a server, connects to it, and joins the two connections. Runs on the
    /// client's event loop; the server connection shares it.
    private func route(_ client: Channel, host: PluginHost) {
        counters.accepted.add(1, ordering: .relaxed)
        let clusterPort = UInt16(clamping: client.localAddress?.port ?? 0)
        let flow = Flow(client: client.remoteAddress?.sashaAddress ?? IPv4Address(0),
                        clientPort: UInt16(clamping: client.remoteAddress?.port ?? 0), clusterPort: clusterPort)
        guard let server = host.pick(flow) else { return refuse(client) }
        guard let port = ports.read({ $0.port(of: server) }) else {
            host.log(.warning, "tcp-proxy: the policy picked \(server), which the last server list does not carry")
            return refuse(client)
        }
        ClientBootstrap(group: client.eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture { try upstream.pipeline.syncOperations.addHandler(RelayHandler()) }
            }
            .connect(to: SocketAddress(server, port: port))
            .assumeIsolated()
            .whenComplete { [counters] result in
                switch result {
                case .success(let upstream):
                    self.join(client, upstream, server: server, host: host)
                case .failure(let error):
                    // A refusal or a timeout: leave the server out for a while, so the next
                    // clients go elsewhere instead of failing the same way.
                    host.log(.warning, "tcp-proxy: cannot connect to \(server):\(port): \(error); leaving it out for \(Self.exclusion)")
                    host.exclude(server, for: Self.exclusion)
                    counters.failed.add(1, ordering: .relaxed)
                    client.close(promise: nil)
                }
            }
    }

    private func join(_ client: Channel, _ upstream: Channel, server: IPv4Address, host: PluginHost) {
        guard client.isActive,
              let clientRelay = try? client.pipeline.syncOperations.handler(type: RelayHandler.self),
              let upstreamRelay = try? upstream.pipeline.syncOperations.handler(type: RelayHandler.self)
        else {
            // The client left while we connected.
            upstream.close(promise: nil)
            return
        }
        host.connectionOpened(on: server)
        counters.active.add(1, ordering: .relaxed)
        client.closeFuture.and(upstream.closeFuture).whenComplete { [counters] _ in
            counters.active.subtract(1, ordering: .relaxed)
            host.connectionClosed(on: server)
        }
        RelayHandler.join(clientRelay, upstreamRelay)
    }

    private func refuse(_ client: Channel) {
        counters.failed.add(1, ordering: .relaxed)
        client.close(promise: nil)
    }
}

extension SocketAddress {
    /// Built from the address value, not parsed from text (inside this extension `IPv4Address`
    /// would mean NIO's own type, hence the module name).
    init(_ address: SashaSDK.IPv4Address, port: UInt16) {
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr.s_addr = address.value.bigEndian
        self.init(raw, host: address.description)
    }

    var sashaAddress: SashaSDK.IPv4Address? {
        guard case .v4(let address) = self else { return nil }
        return SashaSDK.IPv4Address(UInt32(bigEndian: address.address.sin_addr.s_addr))
    }
}
