import Foundation
import HTTPCache
import NIOCore
import NIOHTTP1
import Testing

/// Virtual time: one second in the monotonic nanoseconds the cache takes.
let second: UInt64 = 1_000_000_000

/// The wall clock the test caches see: 2015-10-21 07:28:00 GMT.
let wallNow: Int64 = 1_445_412_480
let wallNowHTTP = "Wed, 21 Oct 2015 07:28:00 GMT"

func makeCache(
    enabled: Bool = true, maxBytes: Int = 1 << 20, maxObjectBytes: Int = 64 << 10, defaultTTL: Duration = .zero
) -> ResponseCache {
    ResponseCache(
        options: CacheOptions(enabled: enabled, maxBytes: maxBytes, maxObjectBytes: maxObjectBytes, defaultTTL: defaultTTL),
        wallClock: { wallNow }
    )
}

func request(
    _ method: HTTPMethod = .GET, _ uri: String = "/page", host: String = "example.test", _ headers: [(String, String)] = []
) -> HTTPRequestHead {
    HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders([("Host", host)] + headers))
}

func response(_ status: HTTPResponseStatus = .ok, _ headers: [(String, String)] = []) -> HTTPResponseHead {
    HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(headers))
}

func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// Ignores the callback (for lookups that must not wait).
let noCallback: @Sendable (CachedResponse?) -> Void = { _ in }

extension CacheLookup {
    var hit: CachedResponse? { if case .hit(let response) = self { response } else { nil } }
    var refresh: (CachedResponse, CacheFill)? { if case .hitAndRefresh(let response, let fill) = self { (response, fill) } else { nil } }
    var fill: CacheFill? { if case .fill(let fill) = self { fill } else { nil } }
    var isWait: Bool { if case .wait = self { true } else { false } }
    var isBypass: Bool { if case .bypass = self { true } else { false } }
    var invalidation: CacheInvalidation? { if case .invalidateOnSuccess(let invalidation) = self { invalidation } else { nil } }
    var isOnlyIfCachedMiss: Bool { if case .onlyIfCachedMiss = self { true } else { false } }
    var kind: String {
        switch self {
        case .hit: "hit"
        case .hitAndRefresh: "hit and refresh"
        case .fill: "fill"
        case .wait: "wait"
        case .bypass: "bypass"
        case .onlyIfCachedMiss: "only-if-cached miss"
        case .invalidateOnSuccess: "invalidate on success"
        }
    }
}

/// Plays a whole miss: the lookup must be a fill, the response goes through it in two chunks.
/// Returns whether it was stored.
@discardableResult
func play(
    _ cache: ResponseCache, _ request: HTTPRequestHead, _ response: HTTPResponseHead, body: String = "hello, world",
    at now: UInt64, sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    let storesBefore = cache.statistics.stores
    let lookup = cache.lookup(request, now: now, whenFilled: noCallback)
    guard let fill = lookup.fill else {
        Issue.record("expected a fill, got \(lookup.kind)", sourceLocation: sourceLocation)
        return false
    }
    fill.begin(response, now: now)
    let middle = body.index(body.startIndex, offsetBy: body.count / 2)
    fill.append(buffer(String(body[..<middle])))
    fill.append(buffer(String(body[middle...])))
    fill.finish(now: now)
    return cache.statistics.stores == storesBefore + 1
}

/// What `whenFilled` callbacks received, in order.
final class Deliveries: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [CachedResponse?] = []

    var callback: @Sendable (CachedResponse?) -> Void {
        { response in self.lock.withLock { self.received.append(response) } }
    }

    var all: [CachedResponse?] { lock.withLock { received } }
}
