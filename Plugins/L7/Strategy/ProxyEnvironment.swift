import HTTPCache
import NIOCore
import SashaSDK

/// What every client connection shares: settings, the host (the current policy), the server
/// directory and the counters. Immutable apart from the cell and the atomics.
final class ProxyEnvironment: Sendable {
    let settings: L7Settings
    let host: PluginHost
    let node: IPv4Address
    let vip: IPv4Address
    let directory: SnapshotCell<ServerDirectory>
    let counters: L7Counters
    /// nil when `cache.enabled` is false.
    let cache: ResponseCache?

    init(settings: L7Settings, host: PluginHost, node: IPv4Address, vip: IPv4Address,
         directory: SnapshotCell<ServerDirectory>, counters: L7Counters, cache: ResponseCache?) {
        self.cache = cache
        self.settings = settings
        self.host = host
        self.node = node
        self.vip = vip
        self.directory = directory
        self.counters = counters
    }

    /// A server refused, dropped or timed out: after `eject_after_failures` in a row the host
    /// leaves it out of new flows for `eject_for_ms`.
    func recordFailure(_ server: ServerCounters) {
        counters.bump(counters.upstreamFailures)
        let failures = server.consecutiveFailures.wrappingAdd(1, ordering: .relaxed).newValue
        guard failures >= settings.upstream.ejectAfterFailures else { return }
        server.consecutiveFailures.store(0, ordering: .relaxed)
        counters.bump(counters.ejections)
        host.exclude(server.address, for: settings.upstream.ejectFor)
        host.log(.warning, "server \(server.address) failed \(failures) times in a row; left out of new requests for \(settings.upstream.ejectFor)")
    }

    /// A server answered: its run of failures is over.
    @inline(__always)
    func recordSuccess(_ server: ServerCounters) {
        if server.consecutiveFailures.load(ordering: .relaxed) != 0 {
            server.consecutiveFailures.store(0, ordering: .relaxed)
        }
    }
}

/// What one event loop owns: its upstream pool and its client connections (so that `stop()` can
/// quiesce them). Touched only on that loop; `@unchecked Sendable` so the listener's initializer
/// can find it, never to share it.
final class LoopState: @unchecked Sendable {
    let eventLoop: EventLoop
    let pool: UpstreamPool
    private var clients: [ObjectIdentifier: ProxyHandler] = [:]
    private(set) var quiescing = false
    private var sweep: RepeatedTask?

    init(eventLoop: EventLoop, environment: ProxyEnvironment) {
        self.eventLoop = eventLoop
        self.pool = UpstreamPool(eventLoop: eventLoop, settings: environment.settings.upstream, counters: environment.counters)
        let settings = environment.settings
        let interval = ConnectionDeadline.sweepInterval(
            settings.limits.headerTimeout, settings.limits.idleTimeout, settings.upstream.responseTimeout)
        sweep = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.sweepDeadlines()
        }
    }

    /// Fires the timeouts that have passed (see `ConnectionDeadline`).
    private func sweepDeadlines() {
        let now = NIODeadline.now()
        for client in clients.values where client.deadline.hasPassed(at: now) {
            client.deadlinePassed()
        }
    }

    func register(_ client: ProxyHandler) { clients[ObjectIdentifier(client)] = client }
    func unregister(_ client: ProxyHandler) { clients[ObjectIdentifier(client)] = nil }

    /// Stop taking requests: idle clients are closed now, busy ones after their response.
    func quiesce() {
        quiescing = true
        for client in Array(clients.values) { client.quiesce() }
    }

    /// Closes whatever is still open.
    func closeEverything() {
        quiescing = true
        sweep?.cancel()
        sweep = nil
        for client in Array(clients.values) { client.closeNow() }
        pool.closeAll()
    }
}

/// Sits before the HTTP decoder and tells the proxy when the first byte of a new request head
/// arrives on a keep-alive connection, so that the idle timeout gives way to the header timeout.
final class RequestStartWatch: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Set by the proxy while it waits for a request on an idle connection.
    var armed = false
    weak var proxy: ProxyHandler?

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes a canned response straight to the socket, below the HTTP handlers (which hold no
    /// request to answer: a head that never completed), then closes.
    func answerAndClose(_ response: String) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if armed {
            armed = false
            proxy?.requestHeadStarted()
        }
        context.fireChannelRead(data)
    }
}
