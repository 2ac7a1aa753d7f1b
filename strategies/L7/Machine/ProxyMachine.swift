import HTTPWire
import NIOCore

/// One client connection of the proxy, as a value: events in (bytes from the client, bytes from
/// the server, the server attached, closed or failed, time passing), `ProxyAction`s out. No socket,
/// clock or policy inside: `ProxyHandler` carries the actions out, and the tests drive the same
/// code with every message split at every byte.
///
/// What it decides, all from the bytes (`HTTPWire`):
/// - **Framing, once per message** (RFC 9112 §6): a request's body is read and forwarded with the
///   framing it came with, whatever the method; a response's from its head and the request's
///   method (HEAD, 1xx, 204, 304: none). Ambiguous heads are refused before anything is routed.
/// - **Heads as bytes**: the request head goes upstream copied from the received bytes with only
///   the hop-by-hop fields rewritten; bodies go on as the slices that arrived, both ways.
/// - **One request at a time**: bytes of a pipelined request wait in `clientInput` (and reads
///   pause) until the response before it has ended.
/// - **Keep-alive and reuse**: a server connection goes back to the pool only when its response
///   ended cleanly, the request was sent whole, and no byte beyond the response arrived.
/// - **Deadlines**: one at a time (`deadline`), for the first byte of the next request (idle), the
///   rest of a head, the next byte of a request body, the response head, and the next byte of a
///   response body.
public struct ProxyMachine: Sendable {
    public struct Configuration: Sendable {
        public var limits = WireLimits()
        public var forwarding = Forwarding(client: "unknown", proxy: "unknown")
        /// Largest request body; 0 means no limit.
        public var maxBodyBytes = 0
        /// Fields added to every response from a server, encoded (`X-Cache: MISS\r\n`).
        public var responseFields: [UInt8] = []
        public var idleTimeout: UInt64 = 60_000_000_000
        public var headerTimeout: UInt64 = 10_000_000_000
        public var bodyIdleTimeout: UInt64 = 30_000_000_000
        public var responseTimeout: UInt64 = 30_000_000_000
        public var responseIdleTimeout: UInt64 = 60_000_000_000

        public init() {}
    }

    public enum DeadlineKind: Equatable, Sendable {
        case idle, header, requestBody, responseHead, responseBody
    }

    public struct Deadline: Equatable, Sendable {
        public var kind: DeadlineKind
        public var at: UInt64
    }

    public enum Phase: Equatable, Sendable {
        case http
        /// The connection became a byte tunnel: nothing more is HTTP.
        case tunnel
        case closed
    }

    public let configuration: Configuration
    let allocator: ByteBufferAllocator
    public internal(set) var phase = Phase.http
    public internal(set) var deadline: Deadline?
    /// The request in progress and its response; nil between requests.
    public internal(set) var exchange: ProxyExchange?
    /// Client bytes received and not yet consumed: a partial head, or the next pipelined request.
    var clientInput: ByteBuffer
    var serverInput: ByteBuffer
    var requestScanner: HeadScanner
    var responseScanner: HeadScanner
    private var clientReadsPaused = false
    private var quiescing = false
    /// Reused for the payload spans of a chunked body (de-chunking, cache fills).
    var spans: [Range<Int>] = []

    public init(configuration: Configuration, allocator: ByteBufferAllocator, now: UInt64) {
        self.configuration = configuration
        self.allocator = allocator
        clientInput = allocator.buffer(capacity: 0)
        serverInput = allocator.buffer(capacity: 0)
        requestScanner = HeadScanner(kind: .request, limits: configuration.limits)
        responseScanner = HeadScanner(kind: .response, limits: configuration.limits)
        // A new connection has the header timeout to send its first request.
        deadline = Deadline(kind: .header, at: now &+ configuration.headerTimeout)
    }

    // MARK: Client events

    public mutating func clientBytes(_ buffer: ByteBuffer, now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http else { return }
        Self.append(buffer, to: &clientInput)
        processClientInput(now: now, into: &actions)
        Self.letGoIfConsumed(&clientInput)
    }

    /// The strategy is stopping: close now when idle, else after the current response.
    public mutating func quiesce(into actions: inout [ProxyAction]) {
        quiescing = true
        if exchange == nil, phase == .http { close(into: &actions) }
    }

    // MARK: Server events

    /// A server connection is ready for the current request (first attempt or a retry): the head,
    /// and whatever of the body arrived, go out. `collectPayload`: report the response's payload
    /// (`responsePayload`) for a cache fill.
    public mutating func serverAttached(now: UInt64, collectPayload: Bool, into actions: inout [ProxyAction]) {
        guard var exchange, phase == .http, !exchange.serverAttached else { return }
        exchange.serverAttached = true
        exchange.waitingElsewhere = false
        exchange.collectPayload = collectPayload
        // An HTTP/1.0 client would take a 100 for the final answer (RFC 9110 §15.2).
        if exchange.expectsContinue, !exchange.requestEnded, !exchange.continueSent, exchange.clientVersion == .http1_1 {
            // The proxy took over `Expect: 100-continue`: now that a server is ready, the client
            // may send its body (the server's own 100, if any, is not forwarded).
            exchange.continueSent = true
            actions.append(.writeToClient(allocator.buffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")))
            actions.append(.flushClient)
        }
        actions.append(.writeToServer(exchange.upstreamHead))
        for part in exchange.held {
            actions.append(.writeToServer(part))
            exchange.bodySent = true
        }
        exchange.held.removeAll()
        actions.append(.flushServer)
        self.exchange = exchange
        armForExchange(now: now)
    }

    /// The cache revalidates a stored entry with this request: `fields` (complete field lines,
    /// `If-None-Match: "x"\r\n`, from a stored response's validators) join the head sent
    /// upstream. Only before a server is attached.
    public mutating func addUpstreamFields(_ fields: String) {
        guard phase == .http, var exchange, !exchange.serverAttached, !fields.isEmpty, exchange.upstreamHead.readableBytes >= 4
        else { return }
        var head = exchange.upstreamHead
        // The head ends with the empty line: the fields go just before it.
        head.moveWriterIndex(to: head.writerIndex - 2)
        var amended = allocator.buffer(capacity: head.readableBytes + fields.utf8.count + 2)
        amended.writeBuffer(&head)
        amended.writeString(fields)
        amended.writeStaticString("\r\n")
        exchange.upstreamHead = amended
        self.exchange = exchange
    }

    /// Responses of the current request the cache takes before the client sees them (see
    /// `ResponseIntercept`). Set before `serverAttached`; kept across retries.
    public mutating func intercept(_ intercept: ResponseIntercept) {
        guard phase == .http, exchange != nil else { return }
        exchange?.intercept = intercept
    }

    /// The request waits for another request's cache fill: it has the response timeout for that,
    /// as it would have for a server (then `serverFailed(.timeout)`, and the handler sends it
    /// upstream itself).
    public mutating func waitingForAnotherFetch(now: UInt64) {
        guard phase == .http, exchange != nil else { return }
        exchange?.waitingElsewhere = true
        armForExchange(now: now)
    }

    /// The wait for another fetch is over (the handler goes to a server itself).
    public mutating func stoppedWaiting(now: UInt64) {
        guard phase == .http, exchange?.waitingElsewhere == true else { return }
        exchange?.waitingElsewhere = false
        armForExchange(now: now)
    }

    public mutating func serverBytes(_ buffer: ByteBuffer, now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http, let exchange, exchange.serverAttached else { return }
        Self.append(buffer, to: &serverInput)
        processServerInput(now: now, into: &actions)
        Self.letGoIfConsumed(&serverInput)
    }

    /// The server connection closed (or reset) while it served this exchange.
    public mutating func serverClosed(now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http, var exchange, exchange.serverAttached else { return }
        switch exchange.response {
        case .awaitingHead:
            exchange.serverAttached = false
            self.exchange = exchange
            resetServerSide()
            armForExchange(now: now)
            actions.append(.releaseServer(reusable: false))
            actions.append(.serverFailed(.dropped))
        case .body(let tracker, _) where tracker.framing == .untilClose:
            // The HTTP/1.0 way: the close ends the body (the client is closed after it too).
            finishResponse(serverReusable: false, now: now, into: &actions)
        case .body:
            // Broke off half-way: the client cannot be told otherwise.
            actions.append(.releaseServer(reusable: false))
            close(into: &actions)
        case .done:
            break
        }
    }

    // MARK: Answers without a server

    /// The proxy answers the current request itself (no server, a failure, a limit). `closing`
    /// closes the connection after it; otherwise it stays open when the request allows, the rest
    /// of the request's body being read and dropped.
    public mutating func answerLocally(status: Int, reason: StaticString, closing: Bool, now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http else { return }
        guard var exchange else {
            refuse(status: status, reason: reason, into: &actions)
            return
        }
        if exchange.serverAttached {
            exchange.serverAttached = false
            actions.append(.releaseServer(reusable: false))
        }
        guard case .awaitingHead = exchange.response else {
            // Part of a response went out: only the close can say it failed.
            close(into: &actions)
            return
        }
        if closing || exchange.awaitsContinue { exchange.clientKeepAlive = false }
        self.exchange = exchange
        var out = allocator.buffer(capacity: 160)
        HeadWriter.writeShortResponse(status: status, reason: reason, closing: !willKeepAlive(exchange),
                                      headOnly: exchange.method == .head, into: &out)
        actions.append(.responseStarted(status: status))
        actions.append(.writeToClient(out))
        finishAnswer(now: now, into: &actions)
    }

    /// Answers the current request with `head` (already rewritten for the client by the caller,
    /// who asks `keepsAlive` first) and `body`.
    public mutating func answerFromCache(head: ByteBuffer, body: ByteBuffer?, status: Int, now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http, let exchange, case .awaitingHead = exchange.response, !exchange.serverAttached else { return }
        if exchange.awaitsContinue { self.exchange?.clientKeepAlive = false }
        actions.append(.responseStarted(status: status))
        actions.append(.writeToClient(head))
        if let body, body.readableBytes > 0 { actions.append(.writeToClient(body)) }
        finishAnswer(now: now, into: &actions)
    }

    /// Whether the connection stays open after the current response, as far as is known now.
    public var keepsAlive: Bool { exchange.map { willKeepAlive($0) && !$0.awaitsContinue } ?? false }

    /// The current request could go to another server: it is idempotent and none of its body
    /// went out.
    public var mayResend: Bool { exchange.map { $0.isIdempotent && !$0.bodySent } ?? false }

    // MARK: Time

    /// Bytes went through the tunnel (either way): it stays open for another idle timeout, as
    /// HAProxy's `timeout tunnel` and nginx's `proxy_read_timeout` keep a WebSocket.
    public mutating func tunnelActivity(now: UInt64) {
        guard phase == .tunnel else { return }
        arm(.idle, now: now)
    }

    public mutating func tick(now: UInt64, into actions: inout [ProxyAction]) {
        guard phase == .http || phase == .tunnel, let deadline, deadline.at <= now else { return }
        self.deadline = nil
        switch deadline.kind {
        case .idle:
            close(into: &actions)
        case .header:
            refuse(status: 408, reason: "Request Timeout", into: &actions)
        case .requestBody:
            if exchange?.responseBegun == true { close(into: &actions) } else {
                answerLocally(status: 408, reason: "Request Timeout", closing: true, now: now, into: &actions)
            }
        case .responseHead:
            guard var exchange, case .awaitingHead = exchange.response else { return }
            guard exchange.serverAttached else {
                // Waiting for another request's fetch, too long.
                if exchange.waitingElsewhere { actions.append(.serverFailed(.timeout)) }
                return
            }
            exchange.serverAttached = false
            self.exchange = exchange
            resetServerSide()
            armForExchange(now: now)
            actions.append(.releaseServer(reusable: false))
            actions.append(.serverFailed(.timeout))
        case .responseBody:
            actions.append(.releaseServer(reusable: false))
            close(into: &actions)
        }
    }

    // MARK: Internals shared by the two directions

    mutating func arm(_ kind: DeadlineKind, now: UInt64) {
        let after: UInt64
        switch kind {
        case .idle: after = configuration.idleTimeout
        case .header: after = configuration.headerTimeout
        case .requestBody: after = configuration.bodyIdleTimeout
        case .responseHead: after = configuration.responseTimeout
        case .responseBody: after = configuration.responseIdleTimeout
        }
        deadline = Deadline(kind: kind, at: now &+ after)
    }

    /// The deadline the current exchange's state calls for: the next byte of the request's body
    /// while it arrives (whoever it goes to, or none: a body is read and dropped under the same
    /// deadline), then the response head once a server has the whole request (or while waiting for
    /// another request's fetch), then the next byte of the response body.
    mutating func armForExchange(now: UInt64) {
        guard let exchange else { return }
        switch exchange.response {
        case .body:
            arm(.responseBody, now: now)
        case .awaitingHead where !exchange.requestEnded:
            arm(.requestBody, now: now)
        case .awaitingHead where exchange.serverAttached || exchange.waitingElsewhere:
            arm(.responseHead, now: now)
        case .awaitingHead:
            // Being routed: the handler's own steps (connect timeout) bound it.
            deadline = nil
        case .done:
            if exchange.requestEnded { deadline = nil } else { arm(.requestBody, now: now) }
        }
    }

    func willKeepAlive(_ exchange: ProxyExchange) -> Bool { exchange.clientKeepAlive && !quiescing }

    /// An answer that is not a server's (local or cached) was written: the exchange ends, or
    /// waits for the rest of the request's body to be dropped.
    private mutating func finishAnswer(now: UInt64, into actions: inout [ProxyAction]) {
        guard exchange != nil else { return }
        exchange?.response = .done
        actions.append(.responseEnded)
        actions.append(.flushClient)
        afterResponse(now: now, into: &actions)
    }

    /// The response is complete: the server connection goes back (or not) and the client's next
    /// request, if it already arrived, starts.
    mutating func finishResponse(serverReusable: Bool, now: UInt64, into actions: inout [ProxyAction]) {
        guard var exchange else { return }
        exchange.response = .done
        exchange.serverAttached = false
        resetServerSide()
        // The server connection goes first: `responseEnded` lets go of the route that holds it.
        actions.append(.releaseServer(reusable: serverReusable && exchange.requestEnded))
        actions.append(.responseEnded)
        actions.append(.flushClient)
        self.exchange = exchange
        afterResponse(now: now, into: &actions)
    }

    /// The response went out whole: the next request starts, or the rest of this one's body is
    /// read and dropped first (answered before it ended), or the connection closes.
    private mutating func afterResponse(now: UInt64, into actions: inout [ProxyAction]) {
        guard let exchange else { return }
        if exchange.requestEnded {
            endExchange(now: now, into: &actions)
        } else if willKeepAlive(exchange) {
            self.exchange?.discardingBody = true
            self.exchange?.held.removeAll()
            armForExchange(now: now)
            processClientInput(now: now, into: &actions)
        } else {
            close(into: &actions)
        }
    }

    private mutating func endExchange(now: UInt64, into actions: inout [ProxyAction]) {
        guard let exchange else { return }
        self.exchange = nil
        guard willKeepAlive(exchange) else {
            close(into: &actions)
            return
        }
        arm(.idle, now: now)
        if clientReadsPaused {
            clientReadsPaused = false
            actions.append(.resumeClientReads)
        }
        processClientInput(now: now, into: &actions)
    }

    mutating func resetServerSide() {
        serverInput = ByteBuffer()
        responseScanner.restart()
    }

    /// Answers a request that could not be read (or no request at all) and closes.
    mutating func refuse(status: Int, reason: StaticString, into actions: inout [ProxyAction]) {
        if let exchange {
            if exchange.serverAttached { actions.append(.releaseServer(reusable: false)) }
            if exchange.responseBegun {
                close(into: &actions)
                return
            }
        }
        var out = allocator.buffer(capacity: 160)
        HeadWriter.writeShortResponse(status: status, reason: reason, closing: true, into: &out)
        actions.append(.responseStarted(status: status))
        actions.append(.writeToClient(out))
        close(into: &actions)
    }

    mutating func close(into actions: inout [ProxyAction]) {
        guard phase != .closed else { return }
        phase = .closed
        deadline = nil
        exchange = nil
        clientInput = ByteBuffer()
        resetServerSide()
        actions.append(.flushClient)
        actions.append(.closeClient)
    }

    mutating func pauseClientReads(into actions: inout [ProxyAction]) {
        guard !clientReadsPaused else { return }
        clientReadsPaused = true
        actions.append(.pauseClientReads)
    }

    /// Drops a consumed input's storage. `clear()` would copy it, since the slices passed on still
    /// share it; and while the machine holds the read buffer, NIO's receive-buffer pool cannot
    /// reuse it for the next read. `ByteBuffer()` is NIO's one shared empty buffer: no allocation.
    static func letGoIfConsumed(_ input: inout ByteBuffer) {
        if input.readableBytes == 0, input.capacity > 0 { input = ByteBuffer() }
    }

    /// Appends without copying when nothing is waiting (the usual case: a whole message per read).
    static func append(_ buffer: ByteBuffer, to input: inout ByteBuffer) {
        if input.readableBytes == 0 {
            input = buffer
        } else {
            var buffer = buffer
            input.writeBuffer(&buffer)
        }
    }
}

// MARK: - Request side

extension ProxyMachine {
    /// Reads what the client sent as far as the current state allows: a head, body bytes, or
    /// nothing while a pipelined request waits for the response before it.
    mutating func processClientInput(now: UInt64, into actions: inout [ProxyAction]) {
        while phase == .http, clientInput.readableBytes > 0 {
            guard var exchange else {
                if quiescing { return close(into: &actions) }
                if deadline?.kind == .idle { arm(.header, now: now) }
                guard startRequest(now: now, into: &actions) else { return }
                continue
            }
            if exchange.requestEnded {
                // A pipelined request: it waits for this response.
                pauseClientReads(into: &actions)
                return
            }
            let progress = exchange.requestBody.consume(clientInput)
            switch progress {
            case .invalid:
                self.exchange = exchange
                return refuse(status: 400, reason: "Bad Request", into: &actions)
            case .needsMore(let consumed), .complete(let consumed):
                let part = clientInput.readSlice(length: consumed)!
                exchange.bodyBytes += consumed
                if configuration.maxBodyBytes > 0, exchange.bodyBytes > configuration.maxBodyBytes {
                    self.exchange = exchange
                    return answerLocally(status: 413, reason: "Content Too Large", closing: true, now: now, into: &actions)
                }
                if exchange.discardingBody {
                    // Answered already: the rest of the body is read and dropped.
                } else if exchange.serverAttached {
                    actions.append(.writeToServer(part))
                    exchange.bodySent = true
                } else if consumed > 0 {
                    exchange.held.append(part)
                }
                if case .complete = progress {
                    exchange.requestEnded = true
                    self.exchange = exchange
                    if exchange.discardingBody, case .done = exchange.response {
                        endExchange(now: now, into: &actions)
                        continue
                    }
                    if exchange.serverAttached { actions.append(.flushServer) }
                } else {
                    self.exchange = exchange
                    if exchange.serverAttached { actions.append(.flushServer) }
                }
                // A response under way keeps its own deadline; otherwise the body's or the wait's.
                armForExchange(now: now)
            }
        }
    }

    /// Scans for the next request head; on a whole one, starts its exchange and asks for a route.
    /// False when there is nothing more to do now.
    private mutating func startRequest(now: UInt64, into actions: inout [ProxyAction]) -> Bool {
        switch requestScanner.scan(clientInput) {
        case .incomplete:
            return false
        case .invalid(let error):
            refuse(status: error.status, reason: Self.reason(for: error.status), into: &actions)
            return false
        case .complete(let head, let length):
            if head.method == .connect {
                // Tunnels are not HTTP routing: refuse rather than relay opaque bytes.
                refuse(status: 405, reason: "Method Not Allowed", into: &actions)
                return false
            }
            if !AbsoluteTarget.agreesWithHost(head, clientInput) {
                // Routing would follow the target's authority and the server its Host (RFC 9112
                // §3.2.2 has the proxy use the target's): refuse rather than route one host and
                // serve another.
                refuse(status: 400, reason: "Bad Request", into: &actions)
                return false
            }
            let limit = configuration.maxBodyBytes
            if limit > 0, let length = head.contentLength, length > limit {
                refuse(status: 413, reason: "Content Too Large", into: &actions)
                return false
            }
            let webSocket = head.upgradesToWebSocket && head.connection.upgrade && head.method == .get && head.version == .http1_1
            var upstreamHead = allocator.buffer(capacity: length + 160)
            HeadWriter.writeUpstreamRequest(head: head, from: clientInput, into: &upstreamHead,
                                            forwarding: configuration.forwarding, keepingUpgrade: webSocket)
            let framing = MessageFraming.request(head)
            exchange = ProxyExchange(head: head, framing: framing, upstreamHead: upstreamHead, upgradesToWebSocket: webSocket,
                                     keepAlive: head.keepAlive && !quiescing, limits: configuration.limits)
            armForExchange(now: now)
            let headBytes = clientInput.readSlice(length: length)!
            actions.append(.route(RequestStart(head: head, bytes: headBytes)))
            return true
        }
    }

    static func reason(for status: Int) -> StaticString {
        switch status {
        case 414: "URI Too Long"
        case 431: "Request Header Fields Too Large"
        case 501: "Not Implemented"
        case 505: "HTTP Version Not Supported"
        default: "Bad Request"
        }
    }
}
