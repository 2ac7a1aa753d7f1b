import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Steady traffic for the demo: a few keep-alive HTTP connections to the VIP, each asking for the
/// site's paths in turn at an even pace, reconnecting when the dispatcher goes away. It counts
/// answers, failures and cache hits, which is what the demo's screen shows.
public final class DemoTraffic: Sendable {
    public struct Counts: Sendable, Equatable {
        public var answered: UInt64 = 0
        public var failed: UInt64 = 0
        /// Answers that were not 2xx/304.
        public var errors: UInt64 = 0
        public var cacheHits: UInt64 = 0

        public init(answered: UInt64 = 0, failed: UInt64 = 0, errors: UInt64 = 0, cacheHits: UInt64 = 0) {
            self.answered = answered
            self.failed = failed
            self.errors = errors
            self.cacheHits = cacheHits
        }
    }

    let host: String
    let port: Int
    let paths: [String]
    let interval: TimeAmount
    let connections: Int
    private let group: MultiThreadedEventLoopGroup
    private let running = Atomic<Bool>(false)
    let answered = Atomic<UInt64>(0)
    let failed = Atomic<UInt64>(0)
    let errors = Atomic<UInt64>(0)
    let cacheHits = Atomic<UInt64>(0)
    /// Numbers the cache-busting queries, unique across connections.
    let visits = Atomic<UInt64>(0)

    /// `rate` requests per second in all, over `connections` connections.
    public init(host: String, port: Int, paths: [String], connections: Int = 8, rate: Int = 200) {
        self.host = host
        self.port = port
        self.paths = paths.isEmpty ? ["/"] : paths
        self.connections = max(1, connections)
        self.interval = .nanoseconds(Int64(1_000_000_000) * Int64(self.connections) / Int64(max(1, rate)))
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    public var counts: Counts {
        Counts(answered: answered.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
               errors: errors.load(ordering: .relaxed), cacheHits: cacheHits.load(ordering: .relaxed))
    }

    var isRunning: Bool { running.load(ordering: .relaxed) }

    public func start() {
        running.store(true, ordering: .relaxed)
        for index in 0..<connections {
            // Spread the connections over the first interval so that requests are evenly paced.
            let delay = TimeAmount.nanoseconds(interval.nanoseconds * Int64(index) / Int64(connections))
            group.next().scheduleTask(in: delay) { self.connect(offset: index) }
        }
    }

    public func stop() {
        running.store(false, ordering: .relaxed)
        try? group.syncShutdownGracefully()
    }

    func connect(offset: Int) {
        guard isRunning else { return }
        let loop = group.next()
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(1))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(DemoRequestLoop(traffic: self, offset: offset))
                }
            }
            .connect(host: host, port: port)
            .whenFailure { _ in
                self.failed.add(1, ordering: .relaxed)
                self.reconnect(offset: offset, on: loop)
            }
    }

    func reconnect(offset: Int, on loop: any EventLoop) {
        guard isRunning else { return }
        loop.scheduleTask(in: .milliseconds(200)) { self.connect(offset: offset) }
    }
}

/// One keep-alive connection's loop: send a GET, read the answer, wait, send the next.
final class DemoRequestLoop: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPClientRequestPart

    private let traffic: DemoTraffic
    private var next: Int
    private var waiting = false
    /// When the last request went out: the next one is due one interval later, however long
    /// the answer took, so that the rate holds.
    private var sentAt = NIODeadline.now()

    init(traffic: DemoTraffic, offset: Int) {
        self.traffic = traffic
        self.next = offset
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        guard traffic.isRunning, context.channel.isActive else { return }
        // Every other request carries a query of its own, which the cache has never seen: half
        // the traffic reaches the servers, half is answered by the dispatcher's cache.
        let visit = next % 2 == 1 ? "?visit=\(traffic.visits.add(1, ordering: .relaxed).newValue)" : ""
        let path = traffic.paths[(next / 2) % traffic.paths.count] + visit
        next &+= 1
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "\(traffic.host):\(traffic.port)")
        head.headers.add(name: "User-Agent", value: "sasha-demo")
        waiting = true
        sentAt = .now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code >= 400 { traffic.errors.add(1, ordering: .relaxed) }
            if head.headers.first(name: "X-Cache") == "HIT" { traffic.cacheHits.add(1, ordering: .relaxed) }
        case .body:
            break
        case .end:
            waiting = false
            traffic.answered.add(1, ordering: .relaxed)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(deadline: sentAt + traffic.interval) { [self] in send(context: loopBound.value) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A request cut off by the demo's own stop is not a failure of the cluster.
        if waiting, traffic.isRunning { traffic.failed.add(1, ordering: .relaxed) }
        traffic.reconnect(offset: next, on: context.eventLoop)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
