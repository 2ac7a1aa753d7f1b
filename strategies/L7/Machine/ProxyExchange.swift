import HTTPWire
import NIOCore

/// One request and its response inside `ProxyMachine`: how far each has got, and what of the
/// request is kept for a retry.
public struct ProxyExchange: Sendable {
    enum Response: Sendable {
        case awaitingHead
        /// The head went to the client; `dechunk`: a chunked body to an HTTP/1.0 client, sent as
        /// its payload alone and ended by the close.
        case body(BodyTracker, dechunk: Bool)
        case done
    }

    let method: ParsedHead.Method
    public let clientVersion: ParsedHead.Version
    /// GET, HEAD, OPTIONS, PUT, DELETE, TRACE (RFC 9110 §9.2.2): safe to send again.
    let isIdempotent: Bool
    let expectsContinue: Bool
    public let upgradesToWebSocket: Bool
    /// The client's wish and what the proxy learned since (a response read until close, a
    /// de-chunked one, a refusal that closes).
    var clientKeepAlive: Bool
    /// The head as it goes upstream; kept for a retry until the server answers.
    var upstreamHead: ByteBuffer
    var requestBody: BodyTracker
    var requestEnded: Bool
    var bodyBytes = 0
    /// Body parts that arrived before a server was attached (slices: no copy).
    var held: [ByteBuffer] = []
    /// Some body went to a server: the request can no longer be sent again.
    var bodySent = false
    /// The request was answered before its body ended: the rest is read and dropped.
    var discardingBody = false
    var continueSent = false
    var serverAttached = false
    /// Waiting for another request's cache fill instead of a server.
    var waitingElsewhere = false
    /// Report the response payload for a cache fill.
    var collectPayload = false
    /// Responses the cache takes instead of the client (`ProxyMachine.intercept`).
    var intercept: ResponseIntercept = []
    var serverKeepAlive = true
    var response = Response.awaitingHead

    init(head: ParsedHead, framing: BodyFraming, upstreamHead: ByteBuffer, upgradesToWebSocket: Bool, keepAlive: Bool,
         limits: WireLimits) {
        method = head.method
        clientVersion = head.version
        switch head.method {
        case .get, .head, .options, .put, .delete, .trace: isIdempotent = true
        default: isIdempotent = false
        }
        requestBody = BodyTracker(framing: framing, limits: limits)
        requestEnded = requestBody.isComplete
        expectsContinue = head.expectsContinue && !requestEnded
        self.upgradesToWebSocket = upgradesToWebSocket
        self.upstreamHead = upstreamHead
        clientKeepAlive = keepAlive
    }

    /// The client waits for a 100 before sending its body, and none went out: if the proxy answers
    /// now, the client may never send that body (RFC 9110 §10.1.1), so the connection cannot be
    /// kept: what comes next could be the body or the next request.
    var awaitsContinue: Bool { expectsContinue && !continueSent && !requestEnded }

    /// Whether the request carries a body (chunked, or a length above zero).
    public var hasBody: Bool {
        switch requestBody.framing {
        case .none, .contentLength(0): false
        default: true
        }
    }

    /// Some of the response went to the client.
    var responseBegun: Bool {
        if case .awaitingHead = response { return false }
        return true
    }
}
