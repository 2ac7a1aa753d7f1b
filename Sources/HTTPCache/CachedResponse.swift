import HTTPDate
import NIOCore
import NIOHTTP1

/// A response served from the cache, shaped for the request that asked.
public struct CachedResponse: Sendable {
    /// The head as stored: hop-by-hop fields removed, `Content-Length` set to the body's length.
    public var head: HTTPResponseHead
    /// The whole body; empty when the request was a HEAD (send `responseHead` and nothing else).
    public var body: ByteBuffer
    /// False for a HEAD request: the head says how long the body would be, but none is sent.
    public private(set) var includesBody: Bool
    let storedAt: UInt64
    let initialAge: UInt64

    init(_ entry: StoredResponse, forHead isHead: Bool) {
        head = entry.head
        body = isHead ? ByteBuffer() : entry.body
        includesBody = !isHead
        storedAt = entry.storedAt
        initialAge = entry.initialAge
    }

    /// Turns a hit into a 304 when the client's conditional says it has this response already.
    mutating func answer(conditional request: HTTPHeaders, wallClock: () -> Int64) {
        guard ClientConditional.isNotModified(request, stored: head, wallClock: wallClock) else { return }
        head = ClientConditional.notModifiedHead(head)
        body = ByteBuffer()
        includesBody = false
    }

    /// Turns a hit into a 206 slice (or a 416) for one byte range (RFC 9110 §14), from a
    /// complete stored 200. `If-Range` that names another validator gets the whole response.
    mutating func answer(range: String, ifRange: String?) {
        guard head.status == .ok, includesBody else { return }
        if let ifRange {
            // A strong match only (§13.1.5): the entity tag exactly, or the Last-Modified date.
            guard ifRange == head.headers.first(name: "etag") && !ifRange.hasPrefix("W/")
                || ifRange == head.headers.first(name: "last-modified")
            else { return }
        }
        let length = body.readableBytes
        switch ByteRange.answer(range, length: length) {
        case .whole:
            return
        case .part(let part):
            head.status = .partialContent
            head.headers.replaceOrAdd(name: "Content-Range", value: "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(length)")
            head.headers.replaceOrAdd(name: "Content-Length", value: String(part.count))
            body = body.getSlice(at: body.readerIndex + part.lowerBound, length: part.count)!
        case .unsatisfiable:
            head.status = .rangeNotSatisfiable
            head.headers.replaceOrAdd(name: "Content-Range", value: "bytes */\(length)")
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
            body = ByteBuffer()
        }
    }

    /// Whole seconds since the origin produced the response: time in the cache plus the `Age`
    /// it arrived with (RFC 9111 §4.2.3, without the `Date` skew correction).
    public func age(now: UInt64) -> UInt64 {
        ((now > storedAt ? now - storedAt : 0) &+ initialAge) / 1_000_000_000
    }

    /// The head to send to this client: the stored one with `Age` and `X-Cache: HIT`.
    /// `Content-Length` is already the stored body's (for a HEAD too: it is what a GET returns).
    public func responseHead(now: UInt64) -> HTTPResponseHead {
        var head = head
        head.headers.replaceOrAdd(name: "Age", value: String(age(now: now)))
        head.headers.replaceOrAdd(name: "X-Cache", value: "HIT")
        return head
    }
}

/// One stored response and what decides whether it may answer a request.
struct StoredResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
    /// Stored from a HEAD: answers HEAD requests only.
    var isBodyless: Bool
    /// When the response head arrived (monotonic nanoseconds).
    var storedAt: UInt64
    /// The `Age` it arrived with, in nanoseconds.
    var initialAge: UInt64
    /// Freshness lifetime in nanoseconds.
    var lifetime: UInt64
    var vary: VarySelection
    /// `public` or `s-maxage`: may answer a request carrying `Authorization`.
    var answersAuthorized: Bool
    /// Revalidation and serving stale (validators, `must-revalidate`, RFC 5861 windows).
    var staleUse: StaleUse
    /// Bytes charged to the store: key, head estimate, body.
    var cost: Int

    func age(at now: UInt64) -> UInt64 {
        (now > storedAt ? now - storedAt : 0) &+ initialAge
    }

    func isFresh(at now: UInt64) -> Bool { age(at: now) < lifetime }

    /// Nanoseconds past its lifetime (0 while fresh).
    func staleness(at now: UInt64) -> UInt64 {
        let age = age(at: now)
        return age > lifetime ? age - lifetime : 0
    }

    /// Whether it may answer now though stale, because the server failed (`stale-if-error`).
    func servesOnError(at now: UInt64) -> Bool { staleness(at: now) < staleUse.ifError }

    /// Whether it may answer now though stale, while one request refreshes it
    /// (`stale-while-revalidate`).
    func servesWhileRevalidating(at now: UInt64) -> Bool {
        !isFresh(at: now) && staleness(at: now) < staleUse.whileRevalidating
    }

    /// Whether it is the variant for `request` and has what the request needs.
    func answers(_ request: HTTPHeaders, isHead: Bool) -> Bool {
        (isHead || !isBodyless) && vary.matches(request)
    }

    /// Fixed overhead per entry: the slot, the head's storage, the buffers' headers.
    static let overhead = 256

    /// Hop-by-hop fields (RFC 9110 §7.6.1) and the ones the cache sets itself go; the body's
    /// real length replaces whatever framing the origin used.
    static func storableHead(_ head: HTTPResponseHead, bodyLength: Int?) -> HTTPResponseHead {
        var head = head
        var connectionOptions: [Substring] = []
        for (name, value) in head.headers where name.equalsASCIICaseInsensitive("connection") {
            connectionOptions += value.split(separator: ",").map { $0.trimmingWhitespace() }
        }
        for option in connectionOptions where !option.isEmpty { head.headers.remove(name: String(option)) }
        for name in ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "age", "x-cache"] {
            head.headers.remove(name: name)
        }
        if let bodyLength {
            if head.status.code == 204 {
                head.headers.remove(name: "content-length")
            } else {
                head.headers.replaceOrAdd(name: "Content-Length", value: String(bodyLength))
            }
        }
        return head
    }

    /// Bytes charged to the store for an entry of `key`.
    static func cost(head: HTTPResponseHead, body: ByteBuffer, vary: VarySelection, key: CacheKey) -> Int {
        overhead + key.cost + headCost(head) + vary.cost + body.readableBytes
    }

    static func headCost(_ head: HTTPResponseHead) -> Int {
        head.headers.reduce(32) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
    }
}
