import HTTPCache
import NIOHTTP1
import Testing

/// Freshness for responses that do not state it (RFC 9111 §4.2.2): none by default; with
/// `defaultTTL` set, only where the RFC allows a heuristic and there is a `Last-Modified` to base
/// it on.
@Suite("Heuristic freshness")
struct HeuristicFreshnessTests {
    let get = request()
    /// Unchanged for a day when it left the origin: a tenth of that (8640 s) is above any TTL used here.
    let dayOld = [("Date", wallNowHTTP), ("Last-Modified", "Tue, 20 Oct 2015 07:28:00 GMT")]

    @Test func theDefaultOptionsStoreNothingWithoutExplicitFreshness() {
        #expect(CacheOptions().defaultTTL == .zero)
        let cache = ResponseCache(options: CacheOptions(), wallClock: { wallNow })
        #expect(!play(cache, get, response(.ok, dayOld), at: 0))
        #expect(!play(cache, get, response(.ok), at: 0))
    }

    @Test func heuristicFreshnessLastsAtMostTheDefaultTTL() {
        let cache = makeCache(defaultTTL: .milliseconds(1500))
        #expect(play(cache, get, response(.ok, dayOld), at: 0))
        #expect(cache.lookup(get, now: 1_499_999_999, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 1_500_000_000, whenFilled: noCallback).fill != nil)
    }

    @Test func withoutLastModifiedThereIsNothingToBaseItOn() {
        let cache = makeCache(defaultTTL: .seconds(60))
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP)]), at: 0))
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Last-Modified", "last week")]), at: 0))
    }

    @Test func itIsCappedAtATenthOfTheTimeSinceLastModified() {
        let cache = makeCache(defaultTTL: .seconds(60))
        // Date - Last-Modified = 100 s: fresh for 10 s, not 60.
        #expect(play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Last-Modified", "Wed, 21 Oct 2015 07:26:20 GMT")]), at: 0))
        #expect(cache.lookup(get, now: 10 * second - 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 10 * second, whenFilled: noCallback).fill != nil)
    }

    @Test func withoutDateTheTimeSinceLastModifiedCountsToNow() {
        let cache = makeCache(defaultTTL: .seconds(60))
        // 200 s before our wall clock: fresh for 20 s.
        #expect(play(cache, get, response(.ok, [("Last-Modified", "Wed, 21 Oct 2015 07:24:40 GMT")]), at: 0))
        #expect(cache.lookup(get, now: 20 * second - 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 20 * second, whenFilled: noCallback).fill != nil)
    }

    @Test func aLastModifiedAtOrAfterDateGivesNoFreshness() {
        let cache = makeCache(defaultTTL: .seconds(60))
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Last-Modified", wallNowHTTP)]), at: 0))
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Last-Modified", "Thu, 22 Oct 2015 07:28:00 GMT")]), at: 0))
    }

    @Test(arguments: [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501])
    func heuristicallyCacheableStatusesGetIt(code: Int) {
        let cache = makeCache(defaultTTL: .seconds(10))
        #expect(play(cache, get, response(HTTPResponseStatus(statusCode: code), dayOld), at: 0))
        #expect(cache.lookup(get, now: 9 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 10 * second, whenFilled: noCallback).fill != nil)
    }

    @Test(arguments: [201, 302, 303, 307, 400, 403, 500, 502, 503, 599])
    func otherStatusesGetItOnlyWhenPublic(code: Int) {
        let cache = makeCache(defaultTTL: .seconds(60))
        #expect(!play(cache, get, response(HTTPResponseStatus(statusCode: code), dayOld), at: 0))
        #expect(play(cache, get, response(HTTPResponseStatus(statusCode: code), dayOld + [("Cache-Control", "public")]), at: 0))
    }

    @Test func aRequestWithCookieGetsNoHeuristicFreshness() {
        let cache = makeCache(defaultTTL: .seconds(60))
        let withCookie = request(.GET, "/page", [("Cookie", "session=1")])
        #expect(!play(cache, withCookie, response(.ok, dayOld), at: 0))
        #expect(!play(cache, withCookie, response(.ok, dayOld + [("Cache-Control", "public")]), at: 0))
        #expect(play(cache, get, response(.ok, dayOld), at: 0))
    }

    @Test(arguments: [
        [("Cache-Control", "max-age=60")], [("Cache-Control", "s-maxage=60")], [("Expires", "Wed, 21 Oct 2015 07:29:00 GMT")],
    ])
    func aRequestWithCookieIsStoredWithExplicitFreshness(explicit: [(String, String)]) {
        let cache = makeCache()
        let withCookie = request(.GET, "/page", [("cookie", "session=1")])
        #expect(play(cache, withCookie, response(.ok, [("Date", wallNowHTTP)] + explicit), at: 0))
    }
}
