import HTTPCache
import NIOHTTP1
import Testing

/// How long an entry is served, and the `Age` it is served with.
@Suite("Freshness and Age")
struct FreshnessTests {
    let get = request()

    @Test func maxAgeExpires() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=30")]), at: 5 * second))
        #expect(cache.lookup(get, now: 34 * second + 999_999_999, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 35 * second, whenFilled: noCallback).fill != nil)
        // The stale entry was dropped on the way.
        #expect(cache.statistics.expirations == 1)
        #expect(cache.statistics.entries == 0)
        #expect(cache.statistics.bytes == 0)
    }

    @Test func sharedMaxAgeBeatsMaxAgeBeatsExpires() {
        let cache = makeCache()
        let headers = [
            ("Cache-Control", "max-age=100, s-maxage=10"), ("Date", wallNowHTTP), ("Expires", "Wed, 21 Oct 2015 08:28:00 GMT"),
        ]
        #expect(play(cache, get, response(.ok, headers), at: 0))
        #expect(cache.lookup(get, now: 9 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 10 * second, whenFilled: noCallback).fill != nil)

        let other = request(.GET, "/other")
        #expect(play(cache, other, response(.ok, [("Cache-Control", "max-age=100"), ("Date", wallNowHTTP), ("Expires", "Wed, 21 Oct 2015 07:28:10 GMT")]), at: 0))
        #expect(cache.lookup(other, now: 99 * second, whenFilled: noCallback).hit != nil)
    }

    @Test func expiresCountsFromDate() {
        let cache = makeCache()
        // Date is an hour behind our wall clock: the lifetime is still Expires - Date = 20 s.
        let headers = [("Date", "Wed, 21 Oct 2015 06:28:00 GMT"), ("Expires", "Wed, 21 Oct 2015 06:28:20 GMT")]
        #expect(play(cache, get, response(.ok, headers), at: 0))
        #expect(cache.lookup(get, now: 19 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 20 * second, whenFilled: noCallback).fill != nil)
    }

    @Test func expiresWithoutDateCountsFromNow() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Expires", "Wed, 21 Oct 2015 07:28:30 GMT")]), at: 0))
        #expect(cache.lookup(get, now: 29 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 30 * second, whenFilled: noCallback).fill != nil)
    }

    @Test(arguments: [
        "0", "-1", "yesterday", "Wed, 21 Oct 2015 07:27:59 GMT", wallNowHTTP,
        // The http-tests cache-tests freshness-expires-invalid-* shapes, all in the future if misread.
        "Thu, 18 Aug 2050 02:01:18 UTC", "Thu, 18 Aug 50 02:01:18 GMT", "Thu, 18  Aug  2050 02:01:18 GMT",
        "Thu, 18-Aug-2050 02:01:18 GMT", "Thu, 18 Aug 2050 2:01:18 GMT", "Thu 18 Aug 2050 02:01:18 GMT",
    ])
    func invalidOrPastExpiresIsAlreadyExpired(expires: String) {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Expires", expires)]), at: 0))
    }

    @Test(arguments: ["Thursday, 18-Aug-50 02:01:18 GMT", "Thu Aug 18 02:01:18 2050", "THU, 18 AUG 2050 02:01:18 gmt"])
    func obsoleteAndOddlyCasedExpiresStillCount(expires: String) {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Expires", expires)]), at: 0))
    }

    @Test func twoExpiresLinesAreAlreadyExpired() {
        let cache = makeCache()
        let expires = "Wed, 21 Oct 2015 08:28:00 GMT"
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Expires", expires), ("Expires", expires)]), at: 0))
    }

    @Test func maxAgeOverridesAnInvalidExpires() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Expires", "0"), ("Cache-Control", "max-age=5")]), at: 0))
    }

    /// Rather than absent (which would hand the decision to `Expires` or a heuristic):
    /// http-tests cache-tests `freshness-max-age-negative` and `-single-quoted`.
    @Test(arguments: [
        "max-age=-3600", "max-age='3600'", "max-age=abc", "max-age=", "max-age", "max-age=3600a",
        "s-maxage=-1, max-age=3600", "max-age=3600, max-age=x", "public, s-maxage=''",
    ])
    func anInvalidMaxAgeMakesTheResponseStale(cacheControl: String) {
        let cache = makeCache(defaultTTL: .seconds(60))
        let headers = [
            ("Cache-Control", cacheControl), ("Date", wallNowHTTP), ("Expires", "Wed, 21 Oct 2015 08:28:00 GMT"),
            ("Last-Modified", "Tue, 20 Oct 2015 07:28:00 GMT"),
        ]
        // Kept for its validator, but never served without asking the server.
        play(cache, get, response(.ok, headers), at: 0)
        #expect(cache.lookup(get, now: 0, whenFilled: noCallback).fill?.conditionalFields != nil)
        #expect(cache.statistics.hits == 0)
    }

    /// RFC 9111 §5.2 asks recipients to accept the quoted form they may not send.
    @Test func aDoubleQuotedMaxAgeCounts() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", #"max-age="30""#)]), at: 0))
        #expect(cache.lookup(get, now: 29 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 30 * second, whenFilled: noCallback).fill != nil)
    }

    @Test(arguments: ["max-age=2147483648", "max-age=99999999999", "s-maxage=99999999999999999999999"])
    func anOverflowingMaxAgeIsTwoToThe31Seconds(cacheControl: String) {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", cacheControl)]), at: 0))
        #expect(cache.lookup(get, now: (1 << 31) * second - 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: (1 << 31) * second, whenFilled: noCallback).fill != nil)
    }

    @Test func zeroMaxAgeIsNotStored() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "max-age=0")]), at: 0))
    }

    @Test func ageIsTimeInCachePlusUpstreamAge() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=60"), ("Age", "15")]), at: 100 * second))
        let hit = try #require(cache.lookup(get, now: 107 * second + 900_000_000, whenFilled: noCallback).hit)
        #expect(hit.responseHead(now: 107 * second + 900_000_000).headers["Age"] == ["22"])
        #expect(hit.responseHead(now: 100 * second).headers["Age"] == ["15"])
        // Freshness counts the upstream Age too: 60 - 15 = 45 s left at arrival.
        #expect(cache.lookup(get, now: 144 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 145 * second, whenFilled: noCallback).fill != nil)
    }

    @Test func responseOlderThanItsLifetimeIsNotStored() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "max-age=60"), ("Age", "60")]), at: 0))
    }

    /// http-tests cache-tests `age-parse-prefix-twoline` and `-suffix-twoline`.
    @Test func theFirstAgeLineCounts() {
        #expect(play(makeCache(), get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", "0"), ("Age", "7200")]), at: 0))
        #expect(!play(makeCache(), get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", "7200"), ("Age", "0")]), at: 0))
        #expect(!play(makeCache(), get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", "7200"), ("Age", "x")]), at: 0))
    }

    /// http-tests cache-tests `age-parse-suffix` and `age-parse-prefix`: one line holding a list.
    @Test func theFirstElementOfAnAgeLineCounts() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", "7200, 0")]), at: 0))
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", " 7200 ,0")]), at: 0))
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", "0, 7200")]), at: 0))
    }

    /// http-tests cache-tests `age-parse-nonnumeric`, `-negative` and `-float` expect the response
    /// to be used as if it had no `Age`.
    @Test(arguments: ["junk", "-7200", "7200.0", "10a", "", "0x10"])
    func anAgeThatIsNotANumberIsIgnored(age: String) {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=3600"), ("Age", age)]), at: 0))
        let hit = cache.lookup(get, now: 1 * second, whenFilled: noCallback).hit
        #expect(hit?.responseHead(now: 1 * second).headers["Age"] == ["1"])
    }

    @Test(arguments: ["2147483647", "2147483648", "99999999999999999999999"])
    func aHugeAgeIsStaleNotWrapped(age: String) {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "max-age=2147483647"), ("Age", age)]), at: 0))
    }

    @Test func bodyThatOutlivesItsFreshnessIsNotStored() {
        let cache = makeCache()
        let fill = cache.lookup(get, now: 0, whenFilled: noCallback).fill
        fill?.begin(response(.ok, [("Cache-Control", "max-age=2")]), now: 0)
        fill?.append(buffer("slow"))
        fill?.finish(now: 2 * second)
        #expect(cache.statistics.stores == 0)
    }
}
