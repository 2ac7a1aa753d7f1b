import HTTPCache
import NIOCore
import NIOHTTP1
import SashaSDK

/// One client connection: takes its requests one at a time (a pipelined request waits in `queued`
/// until the one before it is answered), routes each to a server through the current policy,
/// streams the request body up and the response down with backpressure in both directions, and
/// answers errors itself.
///
/// Everything here runs on the connection's event loop, as do the upstream connections it uses.
final class ProxyHandler: ChannelDuplexHandler, UpstreamOwner {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Reasons to hold back reads from the client.
    struct ReadHold: OptionSet {
        let rawValue: UInt8
        /// Waiting for a server connection.
        static let dispatching = ReadHold(rawValue: 1)
        /// The upstream channel's buffer is full.
        static let upstreamFull = ReadHold(rawValue: 2)
        /// A pipelined request waits for the current response.
        static let pipelined = ReadHold(rawValue: 4)
    }

    let environment: ProxyEnvironment
    let loop: LoopState
    private let watch: RequestStartWatch
    var context: ChannelHandlerContext?

    var exchange: Exchange?
    /// The response went out before the request finished: drop the rest of its body.
    var draining = false
    /// Some of the current response went to the client (a failure now can only close).
    var responseInProgress = false
    var readHold: ReadHold = []
    var readPending = false
    /// Parts of pipelined requests that arrived while a response was pending, in order.
    ///
    /// NIO's `HTTPServerPipelineHandler` would do this, but it stops reading after every request
    /// until the response ends, which costs two `epoll_ctl` calls per request; here reads stop only
    /// when a client actually pipelines.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var replayScheduled = false
    /// The parser failed on input that came after requests still being answered.
    private var deferredRefusal: HTTPResponseStatus?
    /// The connection's pending timeout, checked by its loop's sweep.
    var deadline = ConnectionDeadline()
    var closing = false
    /// The connection became a byte tunnel (`openTunnel`): no more HTTP on it.
    var tunnelling = false

    private var client = IPv4Address(0)
    private var forwarding = ForwardedHeaders.Forwarding(client: "unknown", proxy: "unknown")
    private var clientPort: UInt16 = 0
    private var clusterPort: UInt16 = 0

    init(environment: ProxyEnvironment, loop: LoopState, watch: RequestStartWatch) {
        self.environment = environment
        self.loop = loop
        self.watch = watch
    }

    var settings: L7Settings { environment.settings }
    var counters: L7Counters { environment.counters }

    // MARK: Connection lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        watch.proxy = self
        if let remote = context.channel.remoteAddress {
            forwarding = ForwardedHeaders.Forwarding(client: remote.ipAddress ?? "unknown", proxy: environment.vip.description)
            clientPort = UInt16(clamping: remote.port ?? 0)
            if let ip = remote.ipAddress, let address = IPv4Address(ip) { client = address }
        }
        clusterPort = UInt16(clamping: context.channel.localAddress?.port ?? 0)
        loop.register(self)
        counters.bump(counters.clientConnections)
        counters.activeClientConnections.wrappingAdd(1, ordering: .relaxed)
        // A new connection has the header timeout to send its first request.
        armTimer(settings.limits.headerTimeout, idle: false)
        if loop.quiescing { closeNow() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        if let exchange { abandon(exchange) }
        loop.unregister(self)
        counters.activeClientConnections.wrappingSubtract(1, ordering: .relaxed)
        closing = true
        context.fireChannelInactive()
    }

    /// The strategy is stopping: close when no request is in progress.
    func quiesce() {
        if exchange == nil && !draining { closeNow() }
    }

    func closeNow() {
        guard !closing else { return }
        closing = true
        context?.close(promise: nil)
    }

    // MARK: Client input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !queued.isEmpty || isBusyForNextRequest(part) {
            queued.append(part)
            hold(.pipelined)
            return
        }
        handle(part)
    }

    /// A new head while the previous request still waits for its response.
    private func isBusyForNextRequest(_ part: HTTPServerRequestPart) -> Bool {
        guard case .head = part else { return false }
        return exchange != nil || draining
    }

    /// The response ended: hand over the pipelined parts that waited for it. Scheduled rather than
    /// called, because responses end deep inside other calls (a cache hit ends one inside
    /// `startExchange`), and a long pipeline of hits must not become a deep recursion.
    func replayQueued() {
        guard !queued.isEmpty || deferredRefusal != nil, !replayScheduled, let context else { return }
        replayScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.replayScheduled = false
            while let part = self.queued.first, !self.closing {
                if self.isBusyForNextRequest(part) { return }
                self.queued.removeFirst()
                self.handle(part)
            }
            self.queued.removeAll()
            if let refusal = self.deferredRefusal {
                guard self.exchange == nil, !self.draining else { return }
                self.deferredRefusal = nil
                self.respondLocally(refusal, request: nil, keepAlive: false)
                return
            }
            self.release(.pipelined)
        }
    }

    private func handle(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            cancelTimer()
            watch.armed = false
            startExchange(head)
        case .body(let buffer):
            guard let exchange, !draining else { return }
            exchange.bodyBytes += buffer.readableBytes
            if settings.limits.maxBodyBytes > 0, exchange.bodyBytes > settings.limits.maxBodyBytes {
                fail(exchange, status: .payloadTooLarge, closeClient: true)
                return
            }
            if let upstream = exchange.upstream {
                upstream.write(.body(.byteBuffer(buffer)))
                exchange.bodySent = true
                if !upstream.isWritable {
                    counters.noteBuffered(upstream.bufferedBytes)
                    hold(.upstreamFull)
                }
            } else {
                exchange.heldBody.append(buffer)
            }
        case .end(let trailers):
            if draining {
                draining = false
                requestCycleDone()
                return
            }
            guard let exchange else { return }
            exchange.requestEnded = true
            exchange.trailers = trailers
            if let upstream = exchange.upstream {
                upstream.write(.end(trailers))
                upstream.flush()
                armResponseTimer(exchange)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstream?.flush()
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
            exchange?.upstream?.handler.resumeReads()
        } else {
            exchange?.upstream?.handler.pauseReads()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            closeNow()
            return
        }
        // Hostile or broken input: answer once if nothing of a response went out, then close.
        let status: HTTPResponseStatus = parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        if exchange?.requestEnded == true || (!queued.isEmpty && !draining) {
            // Bad input pipelined behind good requests: those are answered first, then this one
            // (`replayQueued`), as a server that read them one at a time would.
            deferredRefusal = status
            hold(.pipelined)
            return
        }
        if let exchange { abandon(exchange) }
        draining = false
        queued.removeAll()
        if responseInProgress {
            closeNow()
        } else {
            respondLocally(status, request: nil, keepAlive: false)
        }
    }

    // MARK: Routing and dispatch

    func startExchange(_ head: HTTPRequestHead) {
        counters.bump(counters.requests)
        let facts = RequestFacts(head)
        let group = environment.directory.read { $0.group(for: facts) }
        let flow = Flow(client: client, clientPort: clientPort, clusterPort: clusterPort, l7Key: facts.contentKey, group: group)
        let webSocket = UpgradeRequest.isWebSocket(head)
        let upstreamHead = ForwardedHeaders.upstreamRequest(head, forwarding: forwarding, keepUpgrade: webSocket)
        // A request that asks for an upgrade stops NIO's parser: unless the tunnel opens, nothing
        // more can be read on this connection.
        let exchange = Exchange(request: head, upstreamHead: upstreamHead, flow: flow,
                                clientKeepAlive: head.isKeepAlive && !loop.quiescing && !UpgradeRequest.stopsTheParser(head),
                                upgradesToWebSocket: webSocket)
        self.exchange = exchange
        if let refusal = RequestCheck.refusal(for: head) {
            // Answered and closed: the rest of what the client sent cannot be framed safely.
            fail(exchange, status: refusal.status, closeClient: true)
            return
        }
        if head.method == .CONNECT {
            // Tunnels are not HTTP routing: refuse rather than relay opaque bytes.
            fail(exchange, status: .methodNotAllowed, closeClient: true)
            return
        }
        if settings.limits.maxBodyBytes > 0,
           let length = head.headers.first(name: "content-length").flatMap(Int.init), length > settings.limits.maxBodyBytes {
            fail(exchange, status: .payloadTooLarge, closeClient: true)
            return
        }
        hold(.dispatching)
        if let cache = environment.cache, !webSocket, consultCache(cache, for: exchange) { return }
        dispatch(exchange)
    }


    // MARK: Timers

    /// `idle`: waiting between requests (idle timeout; the first byte switches to the header
    /// timeout). Otherwise the head must be complete before the deadline.
    func armTimer(_ timeout: TimeAmount, idle: Bool) {
        watch.armed = idle
        deadline.arm(idle ? .idle : .header, after: timeout)
    }

    func cancelTimer() { deadline.clear() }

    /// The loop's sweep found this connection's deadline passed.
    func deadlinePassed() {
        deadline.clear()
        guard !tunnelling else { return }
        switch deadline.kind {
        case .idle, .header:
            guard exchange == nil, !draining else { return }
            if deadline.kind == .idle {
                closeNow()
            } else {
                counters.countResponse(status: 408)
                closing = true
                watch.answerAndClose("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            }
        case .response:
            guard let exchange, !exchange.responseStarted else { return }
            exchange.upstream?.close()
            exchange.upstream = nil
            upstreamFailed(exchange, .timeout)
        }
    }

    /// The first byte of a new request arrived on an idle keep-alive connection.
    func requestHeadStarted() {
        guard exchange == nil, !draining else { return }
        armTimer(settings.limits.headerTimeout, idle: false)
    }
}
