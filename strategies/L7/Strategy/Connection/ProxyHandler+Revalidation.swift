import HTTPCache
import HTTPWire
import L7Machine
import NIOCore
import NIOHTTP1

/// The cache's part in a request that goes upstream: revalidating a stored entry (conditional
/// fields, the server's 304 taken before the client sees it), serving a stale entry when the
/// server fails and `stale-if-error` allows, and invalidating after a successful unsafe request.
/// The HTTP of it is the cache's (`CacheFill`, `CacheInvalidation`) and the machine's
/// (`ResponseIntercept`); this only connects them.
extension ProxyHandler {
    /// Makes the request a revalidation when the fill replaces an entry with validators, and has
    /// the machine hand over the 5xx answers a stale entry may replace.
    func prepareRevalidation(_ fill: CacheFill) {
        var intercept: ResponseIntercept = []
        if let fields = fill.conditionalFields {
            perform { machine, _ in machine.addUpstreamFields(fields) }
            intercept.insert(.notModified)
        }
        if fill.servesStaleOnError(now: environment.host.monotonicNanoseconds) { intercept.insert(.serverErrors) }
        if !intercept.isEmpty { perform { machine, _ in machine.intercept(intercept) } }
    }

    /// `stale-while-revalidate`: the client got the stale entry; a request of the proxy's own
    /// refreshes it (`BackgroundRefresh`), on a server the policy picks for this request.
    func refreshInBackground(_ fill: CacheFill, request: ByteBuffer, route: Route) {
        // Only so many at once per loop; otherwise the next stale hit tries again. (A request
        // with a body never gets here: its body would never be sent.)
        guard let context, let machine, loop.refreshesInFlight < LoopState.maximumRefreshesInFlight,
              let (server, entry) = chooseServer(for: route) else {
            fill.abandon()
            return
        }
        // A copy: the head is a slice of the client's input, which is reused.
        var head = context.channel.allocator.buffer(capacity: request.readableBytes)
        head.writeImmutableBuffer(request)
        BackgroundRefresh.start(head, fill: fill, server: server, port: entry.port, configuration: machine.configuration,
                                environment: environment, loop: loop)
    }

    /// A server's response head, for the fill that stores it or the invalidation it decides.
    func cacheSawResponse(_ head: ParsedHead, _ bytes: ByteBuffer) {
        guard let route else { return }
        let response = HeadBridge.response(head, bytes)
        route.cacheFill?.begin(response, now: environment.host.monotonicNanoseconds)
        route.invalidation?.responded(response)
        route.invalidation = nil
    }

    /// The machine took a 304 to a revalidation (the client gets the updated stored response) or
    /// a 5xx that a stale entry replaces.
    func takeInterceptedResponse(_ head: ParsedHead, _ bytes: ByteBuffer) {
        guard let route, let fill = route.cacheFill else { return answer(502, "Bad Gateway") }
        let now = environment.host.monotonicNanoseconds
        let cached = head.status == 304 ? fill.notModified(HeadBridge.response(head, bytes), now: now) : fill.staleOnError(now: now)
        route.cacheFill = nil
        guard let cached else { return answer(502, "Bad Gateway") }
        serve(cached, version: clientHTTPVersion)
    }

    /// The current request's HTTP version, for answers the cache makes.
    var clientHTTPVersion: HTTPVersion { machine?.exchange?.clientVersion == .http1_0 ? .http1_0 : .http1_1 }

    /// The server failed for good: a stale entry answers instead when `stale-if-error` allows.
    func serveStaleOnError(_ route: Route) -> Bool {
        guard let cached = route.cacheFill?.staleOnError(now: environment.host.monotonicNanoseconds) else { return false }
        route.cacheFill = nil
        serve(cached, version: clientHTTPVersion)
        return true
    }
}
