import HTTPCache
import L7Machine
import SashaSDK

/// Where the current request goes, as the handler tracks it beside `ProxyMachine` (which keeps
/// the protocol's state): the server of the current attempt, the ones that failed, the policy's
/// bookkeeping, and the cache fill it feeds. Lives on its client connection's event loop.
final class Route {
    let flow: Flow
    /// The server of the current attempt.
    var server: IPv4Address?
    var serverCounters: ServerCounters?
    /// `connectionOpened` was reported for `server` and awaits its `connectionClosed`.
    var openReported = false
    var attempts = 0
    var failedServers: [IPv4Address] = []
    var upstream: UpstreamConnection?
    /// The last server connection let go had served a response before (a pooled one): its close
    /// before an answer is no sign of a failing server.
    var lastConnectionReused = false
    /// This request is the one upstream fetch for its cache key: the response is fed to it.
    var cacheFill: CacheFill?
    /// An unsafe request: the response head decides whether stored URLs are dropped.
    var invalidation: CacheInvalidation?
    /// Waiting for another request's fetch of the same key.
    var waitingForFill = false

    init(flow: Flow) {
        self.flow = flow
    }

    /// Whether the request may go to a server again after `failure`. `mayResend`: the machine's
    /// word that it is idempotent and none of its body went out.
    func mayRetry(after failure: ServerFailure, mayResend: Bool, retries: Int) -> Bool {
        switch failure {
        case .connect, .dropped: mayResend && attempts <= retries
        case .malformed, .timeout: false
        }
    }
}
