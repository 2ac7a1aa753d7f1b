import HTTPCache
import NIOCore
import NIOHTTP1
import SashaSDK

/// One client connection: takes its requests one at a time (NIO's pipelining handler queues the
/// rest), routes each to a server through the current policy, streams the request body up and
/// the response down with backpressure in both directions, and answers errors itself.
///
/// Everything here runs on the connection's event loop, as do the upstream connections it uses.
final class ProxyHandler: ChannelDuplexHandler, UpstreamOwner {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Reasons to hold back reads from the client.
    private struct ReadHold: OptionSet {
        let rawValue: UInt8
        /// Waiting for a server connection.
        static let dispatching = ReadHold(rawValue: 1)
        /// The upstream channel's buffer is full.
        static let upstreamFull = ReadHold(rawValue: 2)
    }

    private let environment: ProxyEnvironment
    private let loop: LoopState
    private let watch: RequestStartWatch
    private var context: ChannelHandlerContext?

    private var exchange: Exchange?
    /// The response went out before the request finished: drop the rest of its body.
    private var draining = false
    /// Some of the current response went to the client (a failure now can only close).
    private var responseInProgress = false
    private var readHold: ReadHold = []
    private var readPending = false
    private var timer: Scheduled<Void>?
    private var closing = false

    private var client = IPv4Address(0)
    private var clientText = "unknown"
    private var clientPort: UInt16 = 0
    private var clusterPort: UInt16 = 0

    init(environment: ProxyEnvironment, loop: LoopState, watch: RequestStartWatch) {
        self.environment = environment
        self.loop = loop
        self.watch = watch
    }

    private var settings: L7Settings { environment.settings }
    private var counters: L7Counters { environment.counters }

    // MARK: Connection lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        watch.proxy = self
        if let remote = context.channel.remoteAddress {
            clientText = remote.ipAddress ?? "unknown"
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
        switch unwrapInboundIn(data) {
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

    private func hold(_ reason: ReadHold) { readHold.insert(reason) }

    private func release(_ reason: ReadHold) {
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
        if let exchange { abandon(exchange) }
        draining = false
        if responseInProgress {
            closeNow()
        } else {
            respondLocally(status, request: nil, keepAlive: false)
        }
    }

    // MARK: Routing and dispatch

    private func startExchange(_ head: HTTPRequestHead) {
        counters.bump(counters.requests)
        let facts = RequestFacts(head)
        let group = environment.directory.read { $0.group(for: facts) }
        let flow = Flow(client: client, clientPort: clientPort, clusterPort: clusterPort, l7Key: facts.contentKey, group: group)
        let upstreamHead = ForwardedHeaders.upstreamRequest(head, client: clientText, proxy: environment.vip.description)
        let exchange = Exchange(request: head, upstreamHead: upstreamHead, flow: flow,
                                clientKeepAlive: head.isKeepAlive && !loop.quiescing)
        self.exchange = exchange
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
        if let cache = environment.cache, consultCache(cache, for: exchange) { return }
        dispatch(exchange)
    }

    // MARK: Cache

    /// Serves a hit, or arranges to wait for another request's fetch; false when the request
    /// goes upstream now (as the cache's one fetch for its key, or past the cache).
    private func consultCache(_ cache: ResponseCache, for exchange: Exchange) -> Bool {
        guard let context else { return false }
        let eventLoop = context.eventLoop
        let waiting = NIOLoopBound((self, exchange), eventLoop: eventLoop)
        let lookup = cache.lookup(exchange.request, now: environment.host.monotonicNanoseconds) { cached in
            eventLoop.execute {
                let (handler, exchange) = waiting.value
                handler.cacheFilled(cached, for: exchange)
            }
        }
        switch lookup {
        case .hit(let cached):
            serve(cached, to: exchange)
            return true
        case .fill(let fill):
            exchange.cacheFill = fill
            return false
        case .wait:
            return true
        case .bypass:
            return false
        }
    }

    /// Another request's fetch for the same key ended: serve what it stored, or go upstream.
    private func cacheFilled(_ cached: CachedResponse?, for exchange: Exchange) {
        guard self.exchange === exchange, exchange.server == nil else { return }
        if let cached { serve(cached, to: exchange) } else { dispatch(exchange) }
    }

    /// Answers from the cache without touching a server.
    private func serve(_ cached: CachedResponse, to exchange: Exchange) {
        guard let context else { return }
        let keepAlive = exchange.clientKeepAlive && !loop.quiescing
        let head = ForwardedHeaders.clientResponse(
            cached.responseHead(now: environment.host.monotonicNanoseconds), clientVersion: exchange.request.version,
            keepAlive: keepAlive)
        counters.countResponse(status: head.status.code)
        self.exchange = nil
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if cached.includesBody, cached.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(cached.body))), promise: nil)
        }
        endResponse(context, trailers: nil, keepAlive: keepAlive, requestEnded: exchange.requestEnded)
    }

    /// Asks the current policy for a server (never this member; another than those that failed
    /// this request when the policy offers one) and sends the request there.
    private func dispatch(_ exchange: Exchange) {
        guard let (server, entry) = chooseServer(for: exchange) else {
            fail(exchange, status: exchange.attempts == 0 ? .serviceUnavailable : .badGateway, closeClient: false)
            return
        }
        exchange.attempts += 1
        exchange.server = server
        exchange.serverCounters = entry.counters
        entry.counters.requests.wrappingAdd(1, ordering: .relaxed)
        environment.host.connectionOpened(on: server)
        exchange.openReported = true
        if let connection = loop.pool.take(server, port: entry.port) {
            attach(connection, to: exchange)
            return
        }
        loop.pool.connect(server, port: entry.port) { [weak self] result in
            guard let self, self.exchange === exchange, exchange.server == server, exchange.upstream == nil else {
                if case .success(let connection) = result { self?.loop.pool.giveBack(connection) ?? connection.close() }
                return
            }
            switch result {
            case .success(let connection): self.attach(connection, to: exchange)
            case .failure: self.upstreamFailed(exchange, .connect)
            }
        }
    }

    private func chooseServer(for exchange: Exchange) -> (IPv4Address, ServerDirectory.Entry)? {
        let directory = environment.directory.value
        var fallback: (IPv4Address, ServerDirectory.Entry)?
        // A policy may return a server this request already failed on (or this member): ask a
        // few times for another before settling for one that failed.
        for _ in 0..<8 {
            guard let server = environment.host.pick(exchange.flow) else { break }
            guard server != environment.node, let entry = directory.entries[server], entry.isUp, entry.port != 0 else { continue }
            if !exchange.failedServers.contains(server) { return (server, entry) }
            if fallback == nil { fallback = (server, entry) }
        }
        return fallback
    }

    private func attach(_ connection: UpstreamConnection, to exchange: Exchange) {
        exchange.upstream = connection
        connection.handler.owner = self
        if exchange.expectsContinue, !exchange.requestEnded, !exchange.continueSent, let context {
            // The proxy took over `Expect: 100-continue`: now that a server is ready, let the
            // client send its body (the server's own 100, if any, is not forwarded).
            exchange.continueSent = true
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.request.version, status: .continue))), promise: nil)
        }
        connection.write(.head(exchange.upstreamHead))
        for buffer in exchange.heldBody { connection.write(.body(.byteBuffer(buffer))) }
        if !exchange.heldBody.isEmpty { exchange.bodySent = true }
        exchange.heldBody.removeAll()
        if exchange.requestEnded { connection.write(.end(exchange.trailers)) }
        connection.flush()
        if let context, !context.channel.isWritable { connection.handler.pauseReads() }
        if exchange.requestEnded { armResponseTimer(exchange) }
        if connection.isWritable { release(.upstreamFull) } else { hold(.upstreamFull) }
        release(.dispatching)
    }

    /// The server has the whole request: it has `response_timeout_ms` to start answering.
    private func armResponseTimer(_ exchange: Exchange) {
        guard !exchange.responseStarted else { return }
        exchange.responseTimer?.cancel()
        exchange.responseTimer = context?.eventLoop.assumeIsolated().scheduleTask(in: settings.upstream.responseTimeout) { [weak self] in
            guard let self, self.exchange === exchange, !exchange.responseStarted else { return }
            exchange.upstream?.close()
            exchange.upstream = nil
            self.upstreamFailed(exchange, .timeout)
        }
    }

    // MARK: Upstream events

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard let exchange, let context else { return }
        switch part {
        case .head(let head):
            exchange.responseTimer?.cancel()
            exchange.responseStarted = true
            exchange.upstreamKeepAlive = head.isKeepAlive
            if let serverCounters = exchange.serverCounters { environment.recordSuccess(serverCounters) }
            // Without a length an HTTP/1.0 client learns where the body ends only from the close.
            let framed = head.headers.contains(name: "content-length") || (exchange.request.version.major, exchange.request.version.minor) >= (1, 1)
                || !head.status.mayHaveResponseBody || exchange.request.method == .HEAD
            exchange.clientKeepAlive = exchange.clientKeepAlive && framed && !loop.quiescing
            counters.countResponse(status: head.status.code)
            responseInProgress = true
            var response = ForwardedHeaders.clientResponse(head, clientVersion: exchange.request.version, keepAlive: exchange.clientKeepAlive)
            if environment.cache != nil { ResponseCache.markMiss(&response) }
            exchange.cacheFill?.begin(head, now: environment.host.monotonicNanoseconds)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
        case .body(let buffer):
            exchange.cacheFill?.append(buffer)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable {
                counters.noteBuffered((try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0)
                exchange.upstream?.handler.pauseReads()
            }
        case .end(let trailers):
            finishResponse(exchange, trailers: trailers)
        }
    }

    func upstreamReadComplete() { context?.flush() }

    func upstreamWritabilityChanged(isWritable: Bool) {
        guard exchange?.upstream != nil else { return }
        if isWritable { release(.upstreamFull) } else { hold(.upstreamFull) }
    }

    func upstreamClosed(_ connection: UpstreamConnection, error: Error?) {
        guard let exchange, exchange.upstream === connection else { return }
        exchange.upstream = nil
        exchange.responseTimer?.cancel()
        let malformed = error is HTTPParserError
        if exchange.responseStarted {
            // The response broke off half-way: the client cannot be told otherwise.
            if let serverCounters = exchange.serverCounters { environment.recordFailure(serverCounters) }
            abandon(exchange)
            closeNow()
            return
        }
        let failure: Exchange.Failure = malformed ? .malformed : .dropped
        // A pooled connection the server closed while idle is no sign of a failing server: try
        // again without holding it against the server or the request.
        if failure == .dropped, connection.reused, exchange.isIdempotent, !exchange.bodySent {
            reportClosed(exchange)
            exchange.attempts -= 1
            dispatch(exchange)
            return
        }
        upstreamFailed(exchange, failure)
    }

    /// The current server did not answer: retry elsewhere when that is safe, else answer.
    private func upstreamFailed(_ exchange: Exchange, _ failure: Exchange.Failure) {
        if let serverCounters = exchange.serverCounters { environment.recordFailure(serverCounters) }
        if let server = exchange.server { exchange.failedServers.append(server) }
        reportClosed(exchange)
        if exchange.mayRetry(after: failure, retries: settings.upstream.retries) {
            counters.bump(counters.retries)
            dispatch(exchange)
            return
        }
        let status: HTTPResponseStatus
        switch failure {
        case .timeout: status = .gatewayTimeout
        case .connect, .dropped, .malformed: status = .badGateway
        }
        fail(exchange, status: status, closeClient: false)
    }

    private func reportClosed(_ exchange: Exchange) {
        if exchange.openReported, let server = exchange.server {
            exchange.openReported = false
            environment.host.connectionClosed(on: server)
        }
    }

    // MARK: Finishing

    private func finishResponse(_ exchange: Exchange, trailers: HTTPHeaders?) {
        guard let context else { return }
        reportClosed(exchange)
        exchange.cacheFill?.finish(now: environment.host.monotonicNanoseconds)
        exchange.cacheFill = nil
        if let connection = exchange.upstream {
            exchange.upstream = nil
            connection.handler.owner = nil
            if exchange.upstreamKeepAlive && exchange.requestEnded {
                loop.pool.giveBack(connection)
            } else {
                connection.close()
            }
        }
        let keepAlive = exchange.clientKeepAlive && !loop.quiescing
        endResponse(context, trailers: trailers, keepAlive: keepAlive, requestEnded: exchange.requestEnded)
    }

    /// Writes the response's end and readies the connection for the next request (set up first:
    /// the pipelining handler may deliver the next request from inside the write).
    private func endResponse(_ context: ChannelHandlerContext, trailers: HTTPHeaders?, keepAlive: Bool, requestEnded: Bool) {
        exchange = nil
        responseInProgress = false
        readHold = []
        draining = keepAlive && !requestEnded
        if keepAlive && requestEnded { armTimer(settings.limits.idleTimeout, idle: true) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if readPending, readHold.isEmpty {
                readPending = false
                context.read()
            }
        } else {
            closing = true
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func requestCycleDone() {
        armTimer(settings.limits.idleTimeout, idle: true)
        if loop.quiescing { closeNow() }
    }

    /// Answers the request ourselves (no server, failure, limits) and closes the server side.
    private func fail(_ exchange: Exchange, status: HTTPResponseStatus, closeClient: Bool) {
        abandon(exchange)
        if responseInProgress {
            closeNow()
            return
        }
        let keepAlive = !closeClient && exchange.clientKeepAlive && !loop.quiescing
        respondLocally(status, request: exchange.request, keepAlive: keepAlive, requestEnded: exchange.requestEnded)
    }

    /// Drops the exchange's server connection (unusable mid-exchange) and its bookkeeping.
    private func abandon(_ exchange: Exchange) {
        exchange.responseTimer?.cancel()
        exchange.cacheFill?.abandon()
        exchange.cacheFill = nil
        if let connection = exchange.upstream {
            exchange.upstream = nil
            connection.close()
        }
        reportClosed(exchange)
        if self.exchange === exchange { self.exchange = nil }
    }

    private func respondLocally(_ status: HTTPResponseStatus, request: HTTPRequestHead?, keepAlive: Bool, requestEnded: Bool = true) {
        guard let context, !closing else { return }
        counters.countResponse(status: status.code)
        let body = "\(status.code) \(status.reasonPhrase)\n"
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let version = request?.version ?? .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if request?.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        endResponse(context, trailers: nil, keepAlive: keepAlive, requestEnded: requestEnded)
    }

    // MARK: Timers

    /// `idle`: waiting between requests (idle timeout; the first byte switches to the header
    /// timeout). Otherwise the head must be complete before the timer fires.
    private func armTimer(_ timeout: TimeAmount, idle: Bool) {
        cancelTimer()
        watch.armed = idle
        timer = context?.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, self.exchange == nil, !self.draining else { return }
            self.timer = nil
            if idle {
                self.closeNow()
            } else {
                self.counters.countResponse(status: 408)
                self.closing = true
                self.watch.answerAndClose("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    /// The first byte of a new request arrived on an idle keep-alive connection.
    func requestHeadStarted() {
        guard exchange == nil, !draining else { return }
        armTimer(settings.limits.headerTimeout, idle: false)
    }
}
