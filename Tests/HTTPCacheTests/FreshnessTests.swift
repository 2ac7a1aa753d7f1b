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

    @Test(arguments: ["0", "-1", "yesterday", "Wed, 21 Oct 2015 07:27:59 GMT", wallNowHTTP])
    func invalidOrPastExpiresIsAlreadyExpired(expires: String) {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Date", wallNowHTTP), ("Expires", expires)]), at: 0))
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

    @Test func defaultTTLExpires() {
        let cache = makeCache(defaultTTL: .milliseconds(1500))
        #expect(play(cache, get, response(.ok), at: 0))
        #expect(cache.lookup(get, now: 1_499_999_999, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get, now: 1_500_000_000, whenFilled: noCallback).fill != nil)
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
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=60"), ("Age", "junk")]), at: 0))
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
