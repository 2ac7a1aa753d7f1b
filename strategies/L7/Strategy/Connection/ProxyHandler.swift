import HTTPCache
import HTTPWire
import L7Machine
import NIOCore
import SashaSDK

/// One client connection's I/O: bytes in from the client and from its server connection go to
/// `ProxyMachine`, whose actions this carries out. Routing (rules, policy, retries) and the cache
/// are here too (`ProxyHandler+Routing`); HTTP itself is the machine's.
///
/// Everything runs on the connection's event loop, as do the server connections it uses. The only
/// handler in the channel's pipeline: no HTTP codec, the bytes go through as they came.
final class ProxyHandler: ChannelDuplexHandler, UpstreamOwner {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Reasons to hold back reads from the client.
    struct ReadHold: OptionSet {
        let rawValue: UInt8
        /// Waiting for a route: a server connection, or the cache.
        static let routing = ReadHold(rawValue: 1)
        /// The server connection's buffer is full.
        static let upstreamFull = ReadHold(rawValue: 2)
        /// A pipelined request waits for the current response (the machine says).
        static let pipelined = ReadHold(rawValue: 4)
    }

    let environment: ProxyEnvironment
    let loop: LoopState
    var context: ChannelHandlerContext?
    var machine: ProxyMachine?
    /// The current request's route; nil between requests.
    var route: Route?
    var readHold: ReadHold = []
    var readPending = false
    /// Actions the machine returned and not yet carried out (see `perform`).
    private var pending: [ProxyAction] = []
    private var performing = false
    var client = IPv4Address(0)
    var clientPort: UInt16 = 0
    var clusterPort: UInt16 = 0
    var closing = false

    init(environment: ProxyEnvironment, loop: LoopState) {
        self.environment = environment
        self.loop = loop
    }

    var settings: L7Settings { environment.settings }
    var counters: L7Counters { environment.counters }
    var now: UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: Connection lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        var clientText = "unknown"
        if let remote = context.channel.remoteAddress {
            clientText = remote.ipAddress ?? "unknown"
            clientPort = UInt16(clamping: remote.port ?? 0)
            if let ip = remote.ipAddress, let address = IPv4Address(ip) { client = address }
        }
        clusterPort = UInt16(clamping: context.channel.localAddress?.port ?? 0)
        var configuration = environment.machineConfiguration
        configuration.forwarding = Forwarding(client: clientText, proxy: environment.vip.description)
        machine = ProxyMachine(configuration: configuration, allocator: context.channel.allocator, now: now)
        loop.register(self)
        counters.bump(counters.clientConnections)
        counters.activeClientConnections.wrappingAdd(1, ordering: .relaxed)
        if loop.quiescing { closeNow() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let route { abandon(route) }
        machine = nil
        loop.unregister(self)
        counters.activeClientConnections.wrappingSubtract(1, ordering: .relaxed)
        closing = true
        context.fireChannelInactive()
    }

    /// The strategy is stopping: close when no request is in progress.
    func quiesce() { perform { $0.quiesce(into: &$1) } }

    func closeNow() {
        guard !closing else { return }
        closing = true
        context?.close(promise: nil)
    }

    /// The loop's sweep: fires the machine's deadline when it has passed.
    func sweep(now: UInt64) {
        guard let deadline = machine?.deadline, deadline.at <= now else { return }
        perform { $0.tick(now: now, into: &$1) }
    }

    // MARK: Client I/O

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if machine?.phase == .tunnel {
            route?.upstream?.write(buffer)
            machine?.tunnelActivity(now: now)
            return
        }
        let now = now
        perform { $0.clientBytes(buffer, now: now, into: &$1) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        route?.upstream?.flush()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if readHold.isEmpty { context.read() } else { readPending = true }
    }

    func hold(_ reason: ReadHold) { readHold.insert(reason) }

    func release(_ reason: ReadHold) {
        readHold.remove(reason)
        if readHold.isEmpty, readPending, let context {
            readPending = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            route?.upstream?.handler.resumeReads()
        } else if !fillsAtServerPace {
            route?.upstream?.handler.pauseReads()
        }
        context.fireChannelWritabilityChanged()
    }

    /// A cache fill other requests may be waiting for reads from the server at the server's pace,
    /// whatever this client's: the fill is bounded by `max_object_bytes` (past it the fill stops
    /// storing and backpressure applies again), and a client that stops reading must not stall
    /// everyone waiting for the same object.
    var fillsAtServerPace: Bool { route?.cacheFill?.isStoring == true }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closeNow()
    }

    // MARK: The machine

    /// Runs `event` on the machine and carries out the actions it returns, in order. An action may
    /// call into the machine again (a route answered from the cache): its actions join the queue
    /// rather than recursing, so a long pipeline of cache hits stays flat.
    func perform(_ event: (inout ProxyMachine, inout [ProxyAction]) -> Void) {
        guard machine != nil else { return }
        event(&machine!, &pending)
        guard !performing else { return }
        performing = true
        var index = 0
        while index < pending.count {
            let action = pending[index]
            index += 1
            execute(action)
        }
        pending.removeAll(keepingCapacity: true)
        performing = false
    }

    private func execute(_ action: ProxyAction) {
        guard let context else { return }
        switch action {
        case .route(let start):
            startRoute(start)
        case .writeToServer(let buffer):
            route?.upstream?.write(buffer)
            if let upstream = route?.upstream, !upstream.isWritable {
                counters.noteBuffered(upstream.bufferedBytes)
                hold(.upstreamFull)
            }
        case .flushServer:
            route?.upstream?.flush()
        case .writeToClient(let buffer):
            context.write(wrapOutboundOut(buffer), promise: nil)
            if !context.channel.isWritable {
                counters.noteBuffered((try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0)
                if !fillsAtServerPace { route?.upstream?.handler.pauseReads() }
            }
        case .flushClient:
            context.flush()
        case .responseStarted(let status):
            counters.countResponse(status: UInt(status))
            if let counters = route?.serverCounters { environment.recordSuccess(counters) }
        case .responseHeadForCache(let head, let bytes):
            cacheSawResponse(head, bytes)
        case .interceptedResponse(let head, let bytes):
            takeInterceptedResponse(head, bytes)
        case .responsePayload(let buffer):
            route?.cacheFill?.append(buffer)
        case .responseEnded:
            endRoute()
        case .releaseServer(let reusable):
            releaseServer(reusable: reusable)
        case .serverFailed(let failure):
            serverFailed(failure)
        case .closeClient:
            if let route { abandon(route) }
            closing = true
            context.close(promise: nil)
        case .pauseClientReads:
            hold(.pipelined)
        case .resumeClientReads:
            release(.pipelined)
        case .openTunnel(let fromClient, let fromServer):
            openTunnel(fromClient: fromClient, fromServer: fromServer)
        }
    }

    /// The exchange is over (answered by a server, the cache or the proxy).
    private func endRoute() {
        guard let route else { return }
        route.cacheFill?.finish(now: environment.host.monotonicNanoseconds)
        route.cacheFill = nil
        reportClosed(route)
        // A connect still under way for it finds no route and gives its connection to the pool.
        self.route = nil
        readHold.subtract([.routing, .upstreamFull])
        if readHold.isEmpty, readPending, let context {
            readPending = false
            context.read()
        }
    }

    /// The server connection is done with: back to the pool, or closed.
    private func releaseServer(reusable: Bool) {
        guard let route, let connection = route.upstream else { return }
        route.upstream = nil
        route.lastConnectionReused = connection.reused
        connection.handler.owner = nil
        if reusable { loop.pool.giveBack(connection) } else { connection.close() }
    }

    /// Drops the route's server connection and its bookkeeping (the client went, or failed).
    func abandon(_ route: Route) {
        route.cacheFill?.abandon()
        route.cacheFill = nil
        if let connection = route.upstream {
            route.upstream = nil
            connection.close()
        }
        reportClosed(route)
        if self.route === route { self.route = nil }
    }

    // MARK: Tunnel

    /// After a 101: bytes each way go straight through (`channelRead`, `upstreamRead`).
    private func openTunnel(fromClient: ByteBuffer, fromServer: ByteBuffer) {
        guard let context, let upstream = route?.upstream else {
            closeNow()
            return
        }
        readHold = []
        if fromClient.readableBytes > 0 { upstream.write(fromClient) }
        upstream.flush()
        if fromServer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(fromServer), promise: nil) }
        if readPending {
            readPending = false
            context.read()
        }
    }

    // MARK: Upstream events

    func upstreamRead(_ buffer: ByteBuffer) {
        guard let context else { return }
        if machine?.phase == .tunnel {
            machine?.tunnelActivity(now: now)
            context.write(wrapOutboundOut(buffer), promise: nil)
            if !context.channel.isWritable { route?.upstream?.handler.pauseReads() }
            return
        }
        let now = now
        perform { $0.serverBytes(buffer, now: now, into: &$1) }
    }

    func upstreamReadComplete() { context?.flush() }

    func upstreamWritabilityChanged(isWritable: Bool) {
        guard route?.upstream != nil else { return }
        if isWritable { release(.upstreamFull) } else { hold(.upstreamFull) }
    }

    func upstreamClosed(_ connection: UpstreamConnection, error: Error?) {
        guard let route, route.upstream === connection else { return }
        if machine?.phase == .tunnel {
            route.upstream = nil
            closeNow()
            return
        }
        let now = now
        perform { $0.serverClosed(now: now, into: &$1) }
    }
}
