import HTTPCache
import NIOCore
import NIOHTTP1
import SashaSDK

/// Ending an exchange: the cache answering, the response finishing, the proxy answering itself.
extension ProxyHandler {
    // MARK: Cache

    /// Serves a hit, or arranges to wait for another request's fetch; false when the request
    /// goes upstream now (as the cache's one fetch for its key, or past the cache).
    func consultCache(_ cache: ResponseCache, for exchange: Exchange) -> Bool {
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
        case .onlyIfCachedMiss:
            fail(exchange, status: .gatewayTimeout, closeClient: false)
            return true
        }
    }

    /// Another request's fetch for the same key ended: serve what it stored, or go upstream.
    func cacheFilled(_ cached: CachedResponse?, for exchange: Exchange) {
        guard self.exchange === exchange, exchange.server == nil else { return }
        if let cached { serve(cached, to: exchange) } else { dispatch(exchange) }
    }

    /// Answers from the cache without touching a server.
    func serve(_ cached: CachedResponse, to exchange: Exchange) {
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

    // MARK: Finishing

    func finishResponse(_ exchange: Exchange, trailers: HTTPHeaders?) {
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
    func endResponse(_ context: ChannelHandlerContext, trailers: HTTPHeaders?, keepAlive: Bool, requestEnded: Bool) {
        exchange = nil
        deadline.clear()
        responseInProgress = false
        readHold.subtract([.dispatching, .upstreamFull])
        draining = keepAlive && !requestEnded
        if keepAlive && requestEnded { armTimer(settings.limits.idleTimeout, idle: true) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if readPending, readHold.isEmpty {
                readPending = false
                context.read()
            }
            if !draining { replayQueued() }
        } else {
            closing = true
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func requestCycleDone() {
        armTimer(settings.limits.idleTimeout, idle: true)
        if loop.quiescing { closeNow() }
        replayQueued()
    }

    /// Answers the request ourselves (no server, failure, limits) and closes the server side.
    func fail(_ exchange: Exchange, status: HTTPResponseStatus, closeClient: Bool) {
        abandon(exchange)
        if responseInProgress {
            closeNow()
            return
        }
        let keepAlive = !closeClient && exchange.clientKeepAlive && !loop.quiescing
        respondLocally(status, request: exchange.request, keepAlive: keepAlive, requestEnded: exchange.requestEnded)
    }

    /// Drops the exchange's server connection (unusable mid-exchange) and its bookkeeping.
    func abandon(_ exchange: Exchange) {
        if self.exchange === exchange { deadline.clear(.response) }
        exchange.cacheFill?.abandon()
        exchange.cacheFill = nil
        if let connection = exchange.upstream {
            exchange.upstream = nil
            connection.close()
        }
        reportClosed(exchange)
        if self.exchange === exchange { self.exchange = nil }
    }

    func respondLocally(_ status: HTTPResponseStatus, request: HTTPRequestHead?, keepAlive: Bool, requestEnded: Bool = true) {
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
}
