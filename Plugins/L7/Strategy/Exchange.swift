import HTTPCache
import NIOCore
import NIOHTTP1
import SashaSDK

/// One request and its response as the proxy carries them: which server has it, what of the
/// request was held back or already sent, and how far the response got. Lives on its client
/// connection's event loop.
final class Exchange {
    /// Why a server did not answer.
    enum Failure {
        /// Connect refused or timed out.
        case connect
        /// The connection closed or reset before a response head.
        case dropped
        /// The response could not be parsed.
        case malformed
        /// No response head within `response_timeout_ms`.
        case timeout
    }

    let request: HTTPRequestHead
    let upstreamHead: HTTPRequestHead
    let flow: Flow
    /// GET, HEAD, OPTIONS, PUT, DELETE, TRACE (RFC 9110 §9.2.2): safe to send again.
    let isIdempotent: Bool
    var clientKeepAlive: Bool

    /// The server it went to on the current attempt.
    var server: IPv4Address?
    var serverCounters: ServerCounters?
    /// `connectionOpened` was reported for `server` and awaits its `connectionClosed`.
    var openReported = false
    var attempts = 0
    var failedServers: [IPv4Address] = []
    var upstream: UpstreamConnection?

    /// Body parts that arrived before a connection was ready; sent once it is.
    var heldBody: [ByteBuffer] = []
    var bodyBytes = 0
    /// Some body went to a server: the request can no longer be sent again.
    var bodySent = false
    var requestEnded = false
    var trailers: HTTPHeaders?

    /// A WebSocket handshake the proxy carries: on the server's 101 the connection becomes a
    /// tunnel (`ProxyHandler.openTunnel`).
    let upgradesToWebSocket: Bool
    /// The server's 101 arrived; the tunnel opens at the end of that response.
    var switchingProtocols: HTTPResponseHead?

    /// The client sent `Expect: 100-continue` (the proxy answers it once a server is ready).
    let expectsContinue: Bool
    var continueSent = false

    /// This request is the one upstream fetch for its cache key: the response is fed to it.
    var cacheFill: CacheFill?

    /// The server's response head arrived.
    var responseStarted = false
    var upstreamKeepAlive = true

    init(request: HTTPRequestHead, upstreamHead: HTTPRequestHead, flow: Flow, clientKeepAlive: Bool, upgradesToWebSocket: Bool = false) {
        self.request = request
        self.upgradesToWebSocket = upgradesToWebSocket
        self.upstreamHead = upstreamHead
        self.flow = flow
        self.clientKeepAlive = clientKeepAlive
        expectsContinue = request.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
        switch request.method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: isIdempotent = true
        default: isIdempotent = false
        }
    }

    /// Whether the request may go to a server again after `failure`.
    func mayRetry(after failure: Failure, retries: Int) -> Bool {
        switch failure {
        case .connect, .dropped: isIdempotent && !bodySent && attempts <= retries
        case .malformed, .timeout: false
        }
    }
}
