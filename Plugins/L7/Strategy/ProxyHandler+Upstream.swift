import HTTPCache
import NIOCore
import NIOHTTP1
import SashaSDK

/// Sending a request to a server: the pick, the pooled or new connection, the response coming
/// back, and what happens when a server fails.
extension ProxyHandler {
    // MARK: Dispatch

    func dispatch(_ exchange: Exchange) {
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

    func chooseServer(for exchange: Exchange) -> (IPv4Address, ServerDirectory.Entry)? {
        let directory = environment.directory.value
        var fallback: (IPv4Address, ServerDirectory.Entry)?
        // A policy may return a server this request already failed on (or this member): ask a
        // few times for another before settling for one that failed. A consistent-hash policy
        // (maglev) answers the same key with the same server, so asking again uses a key moved
        // by the attempt: the retry lands elsewhere, deterministically.
        var flow = exchange.flow
        for round in 0..<8 {
            if round > 0 || !exchange.failedServers.isEmpty, let key = exchange.flow.l7Key {
                flow.raw.l7_key = FlowHash.mix(key &+ UInt64(exchange.failedServers.count &* 8 &+ round))
            }
            guard let server = environment.host.pick(flow) else { break }
            // This member itself only when it is the last one standing: the core lists it alone then.
            guard server != environment.node || directory.entries.count == 1,
                  let entry = directory.entries[server], entry.isUp, entry.port != 0 else { continue }
            if !exchange.failedServers.contains(server) { return (server, entry) }
            if fallback == nil { fallback = (server, entry) }
        }
        return fallback
    }

    func attach(_ connection: UpstreamConnection, to exchange: Exchange) {
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
    func armResponseTimer(_ exchange: Exchange) {
        guard !exchange.responseStarted else { return }
        deadline.arm(.response, after: settings.upstream.responseTimeout)
    }

    // MARK: Upstream events

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard let exchange, let context else { return }
        switch part {
        case .head(let head) where head.status == .switchingProtocols:
            deadline.clear(.response)
            guard exchange.upgradesToWebSocket, UpgradeRequest.names(head.headers, "upgrade", "websocket") else {
                // A switch nobody asked for: the server's bytes from here on are not HTTP.
                exchange.upstream?.close()
                exchange.upstream = nil
                upstreamFailed(exchange, .malformed)
                return
            }
            exchange.responseStarted = true
            exchange.switchingProtocols = head
        case .head(let head):
            deadline.clear(.response)
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
            if let switched = exchange.switchingProtocols {
                openTunnel(exchange, switched)
            } else {
                finishResponse(exchange, trailers: trailers)
            }
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
        deadline.clear(.response)
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
    func upstreamFailed(_ exchange: Exchange, _ failure: Exchange.Failure) {
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

    func reportClosed(_ exchange: Exchange) {
        if exchange.openReported, let server = exchange.server {
            exchange.openReported = false
            environment.host.connectionClosed(on: server)
        }
    }
}
