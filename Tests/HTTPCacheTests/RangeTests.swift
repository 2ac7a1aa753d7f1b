import HTTPCache
import NIOHTTP1
import Testing

/// One byte range answered from a complete stored 200 (RFC 9110 §14): a 206 slice, or 416.
@Suite("Ranges from stored responses")
struct RangeTests {
    let stored = response(.ok, [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Last-Modified", "Wed, 21 Oct 2015 07:00:00 GMT")])

    func answer(_ headers: [(String, String)], method: HTTPMethod = .GET) -> CachedResponse? {
        let cache = makeCache()
        #expect(play(cache, request(), stored, body: "0123456789", at: 0))
        return cache.lookup(request(method, "/page", headers), now: 1 * second, whenFilled: noCallback).hit
    }

    @Test(arguments: [
        ("bytes=0-1", "01", "bytes 0-1/10"), ("bytes=1-", "123456789", "bytes 1-9/10"), ("bytes=-1", "9", "bytes 9-9/10"),
        ("bytes=-50", "0123456789", "bytes 0-9/10"), ("bytes=8-20", "89", "bytes 8-9/10"),
        ("bytes=-99999999999999999999999999", "0123456789", "bytes 0-9/10"), ("bytes=9-99999999999999999999999999", "9", "bytes 9-9/10"), ("Bytes=2-3", "23", "bytes 2-3/10"),
    ])
    func oneRangeGetsA206Slice(range: String, body: String, contentRange: String) throws {
        let cached = try #require(answer([("Range", range)]))
        let head = cached.responseHead(now: 1 * second)
        #expect(head.status == .partialContent)
        #expect(String(buffer: cached.body) == body)
        #expect(head.headers["content-range"] == [contentRange])
        #expect(head.headers["content-length"] == [String(body.utf8.count)])
        #expect(head.headers["etag"] == ["\"v1\""])
    }

    @Test(arguments: ["bytes=10-", "bytes=10-20", "bytes=-0", "bytes=99999999999999999999999999-"])
    func aRangePastTheEndGets416(range: String) throws {
        let cached = try #require(answer([("Range", range)]))
        let head = cached.responseHead(now: 1 * second)
        #expect(head.status == .rangeNotSatisfiable)
        #expect(head.headers["content-range"] == ["bytes */10"] && head.headers["content-length"] == ["0"])
        #expect(cached.body.readableBytes == 0)
    }

    @Test(arguments: [
        [("Range", "bytes=0-1, 4-5")], [("Range", "items=0-1")], [("Range", "bytes=5-2")], [("Range", "bytes=a-b")],
        [("Range", "bytes=-")], [("Range", "bytes = 2-3")], [("Range", "bytes=0-1"), ("If-Range", "\"v0\"")], [("Range", "bytes=0-1"), ("If-Range", "W/\"v1\"")],
    ])
    func whatACacheMayIgnoreGetsTheWholeResponse(_ headers: [(String, String)]) throws {
        let cached = try #require(answer(headers))
        #expect(cached.responseHead(now: 1 * second).status == .ok)
        #expect(String(buffer: cached.body) == "0123456789")
    }

    @Test(arguments: ["\"v1\"", "Wed, 21 Oct 2015 07:00:00 GMT"])
    func aMatchingIfRangeGetsThePart(ifRange: String) throws {
        let cached = try #require(answer([("Range", "bytes=0-1"), ("If-Range", ifRange)]))
        #expect(String(buffer: cached.body) == "01")
    }

    @Test func aMatchingConditionalWinsOverTheRangeAndAHeadIgnoresIt() throws {
        let notModified = try #require(answer([("Range", "bytes=0-1"), ("If-None-Match", "\"v1\"")]))
        #expect(notModified.responseHead(now: 1 * second).status == .notModified)
        let head = try #require(answer([("Range", "bytes=0-1")], method: .HEAD))
        #expect(head.responseHead(now: 1 * second).status == .ok && !head.includesBody)
    }

    @Test func aRangeThatMissesGoesUpstreamWithoutFilling() {
        let cache = makeCache()
        #expect(cache.lookup(request(.GET, "/page", [("Range", "bytes=0-1")]), now: 0, whenFilled: noCallback).isBypass)
        #expect(cache.lookup(request(.GET, "/page", [("Range", "bytes=0-1"), ("Range", "bytes=2-3")]), now: 0, whenFilled: noCallback).isBypass)
    }
}
