import NIOCore
import NIOPosix
import SashaSDK

/// One event loop's idle keep-alive connections to each server: a stack per server (the most
/// recently used first, warmest and least likely closed by the server). Only its event loop
/// touches it, so the request path takes no lock.
final class UpstreamPool {
    private let eventLoop: EventLoop
    private let settings: L7Settings.Upstream
    private let counters: L7Counters
    private var idle: [IPv4Address: [UpstreamConnection]] = [:]
    private var closed = false

    init(eventLoop: EventLoop, settings: L7Settings.Upstream, counters: L7Counters) {
        self.eventLoop = eventLoop
        self.settings = settings
        self.counters = counters
    }

    /// An idle connection to `server` on `port`, if one is still open.
    func take(_ server: IPv4Address, port: UInt16) -> UpstreamConnection? {
        while let connection = idle[server]?.popLast() {
            connection.handler.idlePool = nil
            if connection.channel.isActive, connection.port == port { return connection }
            connection.close()
        }
        return nil
    }

    /// Keeps a connection whose last response ended cleanly with keep-alive, or closes it when the
    /// server already has `max_idle_per_server` idle ones here.
    func giveBack(_ connection: UpstreamConnection) {
        guard !closed, connection.channel.isActive, (idle[connection.server]?.count ?? 0) < settings.maxIdlePerServer else {
            connection.close()
            return
        }
        connection.reused = true
        connection.handler.owner = nil
        connection.handler.resumeReads()
        connection.handler.idlePool = self
        idle[connection.server, default: []].append(connection)
    }

    /// An idle connection closed (the server ended it).
    func forget(_ connection: UpstreamConnection) {
        idle[connection.server]?.removeAll { $0 === connection }
    }

    /// Opens a new connection to a server; `completion` runs on this event loop.
    func connect(_ server: IPv4Address, port: UInt16, completion: @escaping (Result<UpstreamConnection, Error>) -> Void) {
        counters.bump(counters.upstreamConnectionsOpened)
        // A literal address: no resolver (NIO's would run getaddrinfo for a host name).
        let target: SocketAddress
        do {
            target = try SocketAddress(ipAddress: server.description, port: Int(port))
        } catch {
            completion(.failure(error))
            return
        }
        let handler = NIOLoopBound(UpstreamHandler(), eventLoop: eventLoop)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(settings.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Bytes both ways: the client connection's `ProxyMachine` writes the request
                    // head and reads the response.
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .connect(to: target)
            .assumeIsolated()
            .whenComplete { result in
                completion(result.map { UpstreamConnection(channel: $0, handler: handler.value, server: server, port: port) })
            }
    }

    /// Closes every idle connection and refuses to keep more (the strategy is stopping).
    func closeAll() {
        closed = true
        let all = idle.values.flatMap { $0 }
        idle.removeAll()
        for connection in all { connection.close() }
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.count } }
}
