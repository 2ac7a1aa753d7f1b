import HTTPCache
import HTTPWire
import L7Machine
import NIOCore
import NIOHTTP1
import SashaSDK

/// Where a request goes: the cache, or a server the current policy picks within the group the
/// rules choose, over a pooled or new connection; and what happens when that server fails.
extension ProxyHandler {
    // MARK: Routing

    func startRoute(_ start: RequestStart) {
        counters.bump(counters.requests)
        let directory = environment.directory.value
        let headers = directory.needsHeaders ? HeadBridge.headers(start.head, start.bytes) : HTTPHeaders()
        let facts = RequestFacts(start.head, start.bytes, headers: headers)
        let group = directory.group(for: facts)
        let flow = Flow(client: client, clientPort: clientPort, clusterPort: clusterPort, l7Key: facts.contentKey, group: group)
        // The machine decided whether this is a WebSocket handshake it will tunnel: never cached.
        let webSocket = machine?.exchange?.upgradesToWebSocket == true
        let route = Route(flow: flow)
        self.route = route
        hold(.routing)
        if let cache = environment.cache, !webSocket,
           consultCache(cache, request: HeadBridge.forwardedRequest(start.head, start.bytes), bytes: start.bytes, for: route) {
            return
        }
        dispatch(route)
    }

    // MARK: Cache

    /// Serves a hit, or arranges to wait for another request's fetch; false when the request goes
    /// upstream now (as the cache's one fetch for its key, or past the cache).
    private func consultCache(_ cache: ResponseCache, request: HTTPRequestHead, bytes: ByteBuffer, for route: Route) -> Bool {
        guard let context else { return false }
        let eventLoop = context.eventLoop
        let waiting = NIOLoopBound((self, route), eventLoop: eventLoop)
        let lookup = cache.lookup(request, now: environment.host.monotonicNanoseconds) { cached in
            eventLoop.execute {
                let (handler, route) = waiting.value
                handler.cacheFilled(cached, for: route)
            }
        }
        switch lookup {
        case .hit(let cached):
            serve(cached, version: request.version)
            return true
        case .hitAndRefresh(let cached, let fill):
            // Asked before the hit ends the exchange: a request with a body is not replayed.
            let replayable = machine?.exchange?.hasBody == false
            serve(cached, version: request.version)
            if replayable { refreshInBackground(fill, request: bytes, route: route) } else { fill.abandon() }
            return true
        case .fill(let fill):
            route.cacheFill = fill
            prepareRevalidation(fill)
            return false
        case .invalidateOnSuccess(let invalidation):
            route.invalidation = invalidation
            perform { machine, _ in machine.intercept(.head) }
            return false
        case .wait:
            route.waitingForFill = true
            let now = now
            perform { machine, _ in machine.waitingForAnotherFetch(now: now) }
            return true
        case .bypass:
            return false
        case .onlyIfCachedMiss:
            answer(504, "Gateway Timeout")
            return true
        }
    }

    /// Another request's fetch for the same key ended: serve what it stored, or go upstream.
    private func cacheFilled(_ cached: CachedResponse?, for route: Route) {
        guard self.route === route, route.waitingForFill else { return }
        route.waitingForFill = false
        let now = now
        perform { machine, _ in machine.stoppedWaiting(now: now) }
        if let cached { serve(cached, version: clientHTTPVersion) } else { dispatch(route) }
    }

    /// Answers from the cache without touching a server.
    func serve(_ cached: CachedResponse, version: HTTPVersion) {
        guard let context, let machine else { return }
        let head = ForwardedHeaders.clientResponse(
            cached.responseHead(now: environment.host.monotonicNanoseconds), clientVersion: version, keepAlive: machine.keepsAlive)
        var bytes = context.channel.allocator.buffer(capacity: 512)
        HeadBridge.write(head, into: &bytes)
        let body = cached.includesBody ? cached.body : nil
        let now = now
        perform { $0.answerFromCache(head: bytes, body: body, status: Int(head.status.code), now: now, into: &$1) }
    }

    /// The proxy answers the request itself (no server, failure, only-if-cached).
    func answer(_ status: Int, _ reason: StaticString) {
        let now = now
        perform { $0.answerLocally(status: status, reason: reason, closing: false, now: now, into: &$1) }
    }

    // MARK: Dispatch

    func dispatch(_ route: Route) {
        guard let (server, entry) = chooseServer(for: route) else {
            if route.attempts == 0 { answer(503, "Service Unavailable") } else { answer(502, "Bad Gateway") }
            return
        }
        route.attempts += 1
        route.server = server
        route.serverCounters = entry.counters
        entry.counters.requests.wrappingAdd(1, ordering: .relaxed)
        environment.host.connectionOpened(on: server)
        route.openReported = true
        if let connection = loop.pool.take(server, port: entry.port) {
            attach(connection, to: route)
            return
        }
        loop.pool.connect(server, port: entry.port) { [weak self] result in
            guard let self, self.route === route, route.server == server, route.upstream == nil else {
                if case .success(let connection) = result { self?.loop.pool.giveBack(connection) ?? connection.close() }
                return
            }
            switch result {
            case .success(let connection): self.attach(connection, to: route)
            case .failure: self.serverFailed(.connect)
            }
        }
    }

    /// Asks the current policy for a server (never this member, unless it is the last one
    /// standing; another than those that failed this request when the policy offers one).
    func chooseServer(for route: Route) -> (IPv4Address, ServerDirectory.Entry)? {
        let directory = environment.directory.value
        var fallback: (IPv4Address, ServerDirectory.Entry)?
        // A consistent-hash policy (maglev) answers the same key with the same server, so asking
        // again uses a key moved by the attempt: the retry lands elsewhere, deterministically.
        var flow = route.flow
        for round in 0..<8 {
            if round > 0 || !route.failedServers.isEmpty, let key = route.flow.l7Key {
                flow.raw.l7_key = FlowHash.mix(key &+ UInt64(route.failedServers.count &* 8 &+ round))
            }
            guard let server = environment.host.pick(flow) else { break }
            guard server != environment.node || directory.entries.count == 1,
                  let entry = directory.entries[server], entry.isUp, entry.port != 0 else { continue }
            if !route.failedServers.contains(server) { return (server, entry) }
            if fallback == nil { fallback = (server, entry) }
        }
        return fallback
    }

    func attach(_ connection: UpstreamConnection, to route: Route) {
        route.upstream = connection
        connection.handler.owner = self
        let now = now
        let collect = route.cacheFill != nil
        perform { $0.serverAttached(now: now, collectPayload: collect, into: &$1) }
        if let context, !context.channel.isWritable { connection.handler.pauseReads() }
        if connection.isWritable { release(.upstreamFull) } else { hold(.upstreamFull) }
        release(.routing)
    }

    // MARK: Failures

    /// The current server did not answer: retry elsewhere when that is safe, else answer.
    func serverFailed(_ failure: ServerFailure) {
        guard let route, let machine else { return }
        if route.waitingForFill {
            // The fetch this request waited for is too slow: fetch it without the cache's help.
            route.waitingForFill = false
            let now = now
            perform { machine, _ in machine.stoppedWaiting(now: now) }
            dispatch(route)
            return
        }
        // A pooled connection the server closed while idle is no sign of a failing server: try
        // again without holding it against the server or the request.
        if failure == .dropped, route.lastConnectionReused, machine.mayResend {
            reportClosed(route)
            route.attempts -= 1
            dispatch(route)
            return
        }
        if let serverCounters = route.serverCounters { environment.recordFailure(serverCounters, failure) }
        if let server = route.server { route.failedServers.append(server) }
        reportClosed(route)
        if route.mayRetry(after: failure, mayResend: machine.mayResend, retries: settings.upstream.retries) {
            counters.bump(counters.retries)
            dispatch(route)
            return
        }
        if serveStaleOnError(route) { return }
        switch failure {
        case .timeout: answer(504, "Gateway Timeout")
        case .connect, .dropped, .malformed: answer(502, "Bad Gateway")
        }
    }

    func reportClosed(_ route: Route) {
        if route.openReported, let server = route.server {
            route.openReported = false
            environment.host.connectionClosed(on: server)
        }
    }
}

extension RequestFacts {
    /// Routing's view of a request head read as bytes.
    init(_ head: ParsedHead, _ bytes: ByteBuffer, headers: HTTPHeaders) {
        let (method, target, hostField) = bytes.withUnsafeReadableBytes { raw in
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self) }
            return (text(head.methodBytes), text(head.target), head.host.map(text) ?? "")
        }
        self.init(method: method, target: target, hostField: hostField, headers: headers)
    }
}
