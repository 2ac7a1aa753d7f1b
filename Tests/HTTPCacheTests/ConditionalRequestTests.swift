import HTTPCache
import NIOHTTP1
import Testing

/// A client's conditional request answered by the cache from a fresh entry (RFC 9111 §4.3.2):
/// 304 with the fields RFC 9110 §15.4.5 lists, and no body.
@Suite("Conditional requests from clients")
struct ConditionalRequestTests {
    let get = request()
    let stored = response(.ok, [
        ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Last-Modified", "Wed, 21 Oct 2015 07:00:00 GMT"),
        ("Date", wallNowHTTP), ("Vary", "Accept-Encoding"), ("Content-Type", "text/plain"), ("X-Other", "1"),
    ])

    func answer(_ conditional: [(String, String)], at now: UInt64 = 1 * second) -> CachedResponse? {
        let cache = makeCache()
        #expect(play(cache, get, stored, at: 0))
        return cache.lookup(request(.GET, "/page", conditional), now: now, whenFilled: noCallback).hit
    }

    @Test(arguments: [
        [("If-None-Match", "\"v1\"")], [("If-None-Match", "W/\"v1\"")], [("If-None-Match", "\"v0\", \"v1\"")],
        [("If-None-Match", "\"v0\""), ("If-None-Match", "\"v1\"")], [("If-None-Match", "*")],
        [("If-Modified-Since", "Wed, 21 Oct 2015 07:00:00 GMT")], [("If-Modified-Since", "Wed, 21 Oct 2015 07:10:00 GMT")],
    ])
    func aMatchingConditionalGets304(_ conditional: [(String, String)]) throws {
        let cached = try #require(answer(conditional))
        let head = cached.responseHead(now: 1 * second)
        #expect(head.status == .notModified)
        #expect(!cached.includesBody && cached.body.readableBytes == 0)
        for field in ["etag", "cache-control", "date", "vary", "last-modified"] { #expect(head.headers[field].count == 1, "\(field)") }
        for field in ["content-length", "content-type", "x-other"] { #expect(head.headers[field].isEmpty, "\(field)") }
        #expect(head.headers["x-cache"] == ["HIT"])
    }

    @Test(arguments: [
        [("If-None-Match", "\"v0\"")], [("If-None-Match", "v1")],
        // If-None-Match decides alone: a matching date beside it does not count.
        [("If-None-Match", "\"v0\""), ("If-Modified-Since", "Wed, 21 Oct 2015 07:10:00 GMT")],
        [("If-Modified-Since", "Wed, 21 Oct 2015 06:59:59 GMT")], [("If-Modified-Since", "yesterday")],
    ])
    func anyOtherConditionalGetsTheWholeResponse(_ conditional: [(String, String)]) throws {
        let cached = try #require(answer(conditional))
        #expect(cached.responseHead(now: 1 * second).status == .ok)
        #expect(String(buffer: cached.body) == "hello, world")
    }

    @Test func aConditionalThatMissesGoesUpstreamWithoutFilling() {
        let cache = makeCache()
        #expect(cache.lookup(request(.GET, "/page", [("If-None-Match", "\"v1\"")]), now: 0, whenFilled: noCallback).isBypass)
    }
}
