import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SashaBase
import Synchronization

/// The embedded static web server of a serving member: `service.root` on the member's own
/// address at `service.port`, over HTTP/1.1 with keep-alive and pipelining.
///
/// ```swift
/// let server = try await StaticFileServer.start(configuration: config, group: group, logger: logger)
/// server.requestsServed  // any thread, any time
/// await server.stop()    // stops listening and closes every connection
/// ```
public final class StaticFileServer: Sendable {
    public let configuration: WebServerConfiguration
    /// The address actually bound (with the kernel's port when `configuration.port` is 0).
    public let localAddress: SocketAddress
    private let serverChannel: any Channel
    private let counter: RequestCounter
    private let connections: ConnectionRegistry
    private let logger: Logger
    private let makeBootstrap: @Sendable () -> ServerBootstrap
    /// Listeners added with `listen(also:port:)`, by address and port.
    private let extraListeners = Protected<[String: any Channel]>([:])

    /// Requests answered since start, errors included; requests for `healthPath` are not counted,
    /// so the health monitor's probes do not inflate what the member served.
    public var requestsServed: UInt64 { counter.value }

    /// Connections open now.
    public var openConnections: Int { connections.count }

    private init(
        configuration: WebServerConfiguration, localAddress: SocketAddress, serverChannel: any Channel,
        counter: RequestCounter, connections: ConnectionRegistry, logger: Logger,
        makeBootstrap: @escaping @Sendable () -> ServerBootstrap
    ) {
        self.makeBootstrap = makeBootstrap
        self.configuration = configuration
        self.localAddress = localAddress
        self.serverChannel = serverChannel
        self.counter = counter
        self.connections = connections
        self.logger = logger
    }

    /// Binds and starts serving. Throws `WebServerError` naming the address, port and likely fix
    /// when the socket cannot be bound. A missing root is not an error: see `WebServerConfiguration.root`.
    public static func start(
        configuration: WebServerConfiguration, group: any EventLoopGroup, logger: Logger
    ) async throws -> StaticFileServer {
        let counter = RequestCounter()
        let connections = ConnectionRegistry()
        let site = ServedSite(
            resolver: FileResolver(root: configuration.root, servesDotfiles: configuration.servesDotfiles),
            servedBy: configuration.address.description,
            healthPath: configuration.healthPath,
            maxDiscardedBodyBytes: configuration.maxDiscardedBodyBytes,
            idleTimeout: .seconds(configuration.idleTimeoutSeconds),
            counter: counter,
            maxAgeSeconds: configuration.maxAgeSeconds
        )
        let limits = configuration.decoderLimits

        let makeBootstrap: @Sendable () -> ServerBootstrap = {
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: configuration.backlog)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    connections.add(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.configureHTTPServerPipeline(
                            withPipeliningAssistance: true,
                            withErrorHandling: false,
                            // Every response header is a constant or a value this server made; the
                            // one echo of the client (a redirect's Location) is a request target the
                            // decoder already refused to accept with control characters.
                            withOutboundHeaderValidation: false,
                            withEncoderConfiguration: .init(),
                            withDecoderLimitConfiguration: limits
                        )
                        try pipeline.addHandler(ProtocolErrorResponder())
                        try pipeline.addHandler(StaticFileHandler(site: site))
                    }
                }
        }
        let bootstrap = makeBootstrap()

        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: "\(configuration.address)", port: Int(configuration.port)).get()
        } catch {
            throw WebServerError.bindFailed(
                address: configuration.address, port: configuration.port,
                errno: (error as? IOError)?.errnoCode, underlying: error
            )
        }
        guard let localAddress = channel.localAddress else {
            try? await channel.close()
            let endpoint = "\(configuration.address):\(configuration.port)"
            throw WebServerError(description: "web server on \(endpoint) has no local address after bind")
        }
        if !site.resolver.rootIsServable() {
            logger.warning(
                "web root is not a readable folder; health answers 503 until it is",
                metadata: ["root": "\(configuration.root)"]
            )
        }
        logger.info("web server listening", metadata: ["address": "\(localAddress)", "root": "\(configuration.root)"])
        return StaticFileServer(
            configuration: configuration, localAddress: localAddress, serverChannel: channel,
            counter: counter, connections: connections, logger: logger, makeBootstrap: makeBootstrap
        )
    }

    /// Serves the same site on `address`:`port` as well: an L4 strategy's server side needs
    /// connections addressed to the VIP (l4-2) or to the cluster ports (l4-3) answered. Binding an
    /// address and port already served does nothing.
    public func listen(also address: IPv4Address, port: UInt16) async throws {
        let key = "\(address):\(port)"
        guard extraListeners.withLock({ $0[key] == nil }) else { return }
        let channel: any Channel
        do {
            channel = try await makeBootstrap().bind(host: "\(address)", port: Int(port)).get()
        } catch {
            throw WebServerError.bindFailed(address: address, port: port, errno: (error as? IOError)?.errnoCode, underlying: error)
        }
        let alreadyThere = extraListeners.withLock { listeners -> Bool in
            if listeners[key] != nil { return true }
            listeners[key] = channel
            return false
        }
        if alreadyThere {
            try? await channel.close()
            return
        }
        logger.info("web server listening", metadata: ["address": "\(key)", "root": "\(configuration.root)"])
    }

    /// Stops listening on an address added with `listen(also:port:)` (its open connections stay).
    public func stopListening(on address: IPv4Address, port: UInt16) async {
        let key = "\(address):\(port)"
        guard let channel = extraListeners.withLock({ $0.removeValue(forKey: key) }) else { return }
        try? await channel.close()
        logger.info("web server stopped", metadata: ["address": "\(key)"])
    }

    /// Stops accepting, closes every open connection (responses in flight are cut), and returns
    /// when all are closed. Safe to call more than once.
    public func stop() async {
        try? await serverChannel.close()
        for channel in extraListeners.withLock({ listeners in defer { listeners = [:] }; return Array(listeners.values) }) {
            try? await channel.close()
        }
        await connections.closeAll()
        logger.info("web server stopped", metadata: ["address": "\(localAddress)"])
    }
}

extension WebServerConfiguration {
    /// `maxHeaderBytes` as the decoder's limits: beyond them it fails with `headerOverflow`,
    /// which `ProtocolErrorResponder` answers with 431.
    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeaderBytes
        limits.maxHeaderListSize = maxHeaderBytes
        limits.maxHeaderFieldCount = 256
        return limits
    }
}
