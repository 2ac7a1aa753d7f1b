import HTTPCache
import NIOHTTP1
import Testing

/// Stale entries with validators are revalidated (RFC 9111 §4.3): the fetch carries the
/// conditional fields, a 304 updates the stored head and answers with the stored body.
@Suite("Revalidation")
struct RevalidationTests {
    let get = request()
    let tagged = response(.ok, [("Cache-Control", "max-age=2"), ("ETag", "\"v1\""), ("X-Version", "1"), ("Content-Length", "12")])

    @Test func aStaleEntryWithAnETagIsRevalidatedAndA304UpdatesIt() throws {
        let cache = makeCache()
        #expect(play(cache, get, tagged, at: 0))
        let fill = try #require(cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill)
        #expect(fill.conditionalFields == "If-None-Match: \"v1\"\r\n")
        let notModified = response(.notModified, [
            ("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("X-Version", "2"), ("Content-Length", "0"), ("Age", "1"),
        ])
        let answer = try #require(fill.notModified(notModified, now: 3 * second))
        let head = answer.responseHead(now: 3 * second)
        #expect(head.status == .ok)
        #expect(String(buffer: answer.body) == "hello, world")
        #expect(head.headers["x-version"] == ["2"])
        #expect(head.headers["content-length"] == ["12"])
        #expect(head.headers["age"] == ["1"])
        // Fresh again for the 304's max-age, counted from the 304 (less its Age).
        #expect(cache.lookup(get, now: 61 * second, whenFilled: noCallback).hit?.responseHead(now: 61 * second).headers["x-version"] == ["2"])
        #expect(cache.lookup(get, now: 62 * second, whenFilled: noCallback).fill != nil)
        #expect(cache.statistics.revalidations == 2 && cache.statistics.notModified == 1)
    }

    @Test func lastModifiedRevalidatesWithIfModifiedSinceAndBothGoTogether() {
        let cache = makeCache()
        let lastModified = "Wed, 21 Oct 2015 07:00:00 GMT"
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=2"), ("Last-Modified", lastModified)]), at: 0))
        #expect(cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill?.conditionalFields
            == "If-Modified-Since: \(lastModified)\r\n")
        let other = request(.GET, "/other")
        #expect(play(cache, other, response(.ok, [("Cache-Control", "max-age=2"), ("Last-Modified", lastModified), ("ETag", "W/\"x\"")]), at: 0))
        #expect(cache.lookup(other, now: 3 * second, whenFilled: noCallback).fill?.conditionalFields
            == "If-None-Match: W/\"x\"\r\nIf-Modified-Since: \(lastModified)\r\n")
    }

    @Test func withoutValidatorsAStaleEntryIsDroppedAndFetchedPlainly() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=2")]), at: 0))
        let fill = cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill
        #expect(fill != nil && fill?.conditionalFields == nil)
        #expect(cache.statistics.expirations == 1)
    }

    @Test func noCacheResponsesWithAValidatorAreStoredAndRevalidatedBeforeEveryUse() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "no-cache"), ("ETag", "\"v1\"")]), at: 0))
        let fill = try #require(cache.lookup(get, now: 0, whenFilled: noCallback).fill)
        #expect(fill.conditionalFields == "If-None-Match: \"v1\"\r\n")
        // A failing server does not make a no-cache entry usable.
        #expect(!fill.servesStaleOnError(now: 0))
        _ = fill.notModified(response(.notModified, [("ETag", "\"v1\"")]), now: 1 * second)
        #expect(cache.lookup(get, now: 1 * second, whenFilled: noCallback).fill?.conditionalFields != nil)
    }

    /// http-tests cache-tests `cc-resp-must-revalidate-stale`: revalidated, never served stale,
    /// not even to `only-if-cached` (RFC 9111 §5.2.2.2) or when the server fails.
    @Test func aStaleMustRevalidateResponseIsRevalidatedNeverServedStale() {
        let cache = makeCache()
        let headers = [("Cache-Control", "max-age=2, must-revalidate, stale-if-error=60"), ("ETag", "\"abcd\"")]
        #expect(play(cache, get, response(.ok, headers), at: 0))
        #expect(cache.lookup(get, now: 1 * second, whenFilled: noCallback).hit != nil)
        let cacheOnly = request(.GET, "/page", [("Cache-Control", "only-if-cached")])
        #expect(cache.lookup(cacheOnly, now: 2 * second, whenFilled: noCallback).isOnlyIfCachedMiss)
        let fill = cache.lookup(get, now: 2 * second, whenFilled: noCallback).fill
        #expect(fill?.conditionalFields == "If-None-Match: \"abcd\"\r\n")
        #expect(fill?.servesStaleOnError(now: 2 * second) == false)
        #expect(fill?.staleOnError(now: 2 * second) == nil)
    }

    /// Security review of the merge: a 304 the store refuses (it sets a cookie, or makes the entry
    /// private) answers only the request that revalidated; its waiters, other users, go upstream.
    @Test func waitersNeverGetA304TheStoreRefuses() throws {
        for refusing in [("Set-Cookie", "session=A"), ("Cache-Control", "private")] {
            let cache = makeCache()
            #expect(play(cache, get, response(.ok, [("Cache-Control", "no-cache"), ("ETag", "\"v1\"")]), at: 0))
            let fill = try #require(cache.lookup(get, now: 0, whenFilled: noCallback).fill)
            let deliveries = Deliveries()
            #expect(cache.lookup(get, now: 0, whenFilled: deliveries.callback).isWait)
            let leader = fill.notModified(response(.notModified, [("ETag", "\"v1\""), refusing]), now: 1 * second)
            #expect(leader != nil, "the leader still gets its answer")
            #expect(deliveries.all.count == 1 && deliveries.all.first! == nil, "a waiter got \(refusing)")
        }
    }

    /// A 304 that changes what the entry varies on, or grows its head past the limits, answers
    /// its request but is not stored.
    @Test func a304ThatChangesVaryOrIsHugeIsNotStored() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "no-cache"), ("ETag", "\"v1\"")]), at: 0))
        var fill = try #require(cache.lookup(get, now: 0, whenFilled: noCallback).fill)
        #expect(fill.notModified(response(.notModified, [("ETag", "\"v1\""), ("Vary", "Cookie")]), now: 1 * second) != nil)
        // Not stored: the entry still varies on nothing.
        var hit = cache.lookup(get, now: 1 * second, whenFilled: noCallback)
        fill = try #require(hit.fill)
        let many = (0..<150).map { ("X-Field-\($0)", "v") }
        #expect(fill.notModified(response(.notModified, [("ETag", "\"v1\"")] + many), now: 2 * second) != nil)
        hit = cache.lookup(get, now: 2 * second, whenFilled: noCallback)
        fill = try #require(hit.fill)
        let answer = try #require(fill.notModified(response(.notModified, [("ETag", "\"v1\""), ("X-Small", "1")]), now: 3 * second))
        #expect(answer.responseHead(now: 3 * second).headers["x-field-1"].isEmpty, "the huge merge was kept")
    }

    @Test func aNewResponseToARevalidationReplacesTheEntry() {
        let cache = makeCache()
        #expect(play(cache, get, tagged, body: "old", at: 0))
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=60"), ("ETag", "\"v2\"")]), body: "new", at: 3 * second))
        #expect(cache.lookup(get, now: 4 * second, whenFilled: noCallback).hit.map { String(buffer: $0.body) } == "new")
        #expect(cache.statistics.entries == 1)
    }

    @Test func requestsWaitingForARevalidationGetTheUpdatedEntry() throws {
        let cache = makeCache()
        #expect(play(cache, get, tagged, at: 0))
        let waiting = Deliveries()
        let fill = try #require(cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill)
        #expect(cache.lookup(get, now: 3 * second, whenFilled: waiting.callback).isWait)
        _ = fill.notModified(response(.notModified, [("Cache-Control", "max-age=60")]), now: 3 * second)
        #expect(waiting.all.count == 1)
        #expect(waiting.all.first??.body.readableBytes == 12)
    }

    @Test func a304ThatForbidsStoringStillAnswersButIsNotKept() throws {
        let cache = makeCache()
        #expect(play(cache, get, tagged, at: 0))
        let fill = try #require(cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill)
        let answer = fill.notModified(response(.notModified, [("Cache-Control", "no-store")]), now: 3 * second)
        #expect(answer.map { String(buffer: $0.body) } == "hello, world")
        #expect(cache.lookup(get, now: 3 * second, whenFilled: noCallback).fill?.conditionalFields != nil)
    }

    @Test func aPlainFetchHasNothingToDoWithA304() throws {
        let cache = makeCache()
        let fill = try #require(cache.lookup(get, now: 0, whenFilled: noCallback).fill)
        #expect(fill.conditionalFields == nil)
        #expect(fill.notModified(response(.notModified), now: 0) == nil)
    }
}

/// RFC 5861: serving a stale entry while one request refreshes it, or instead of a failing server.
@Suite("Serving stale")
struct ServingStaleTests {
    let get = request()

    @Test func staleIfErrorServesTheEntryWhenTheServerFailsWithinItsWindow() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=1, stale-if-error=60")]), at: 0))
        let fill = try #require(cache.lookup(get, now: 30 * second, whenFilled: noCallback).fill)
        #expect(fill.servesStaleOnError(now: 30 * second))
        let waiting = Deliveries()
        #expect(cache.lookup(get, now: 30 * second, whenFilled: waiting.callback).isWait)
        let stale = try #require(fill.staleOnError(now: 30 * second))
        #expect(String(buffer: stale.body) == "hello, world")
        #expect(waiting.all.count == 1 && waiting.all.first??.body.readableBytes == 12)
        #expect(cache.statistics.staleHits == 1)

        let late = try #require(cache.lookup(get, now: 61 * second, whenFilled: noCallback).fill)
        #expect(!late.servesStaleOnError(now: 61 * second))
        #expect(late.staleOnError(now: 61 * second) == nil)
    }

    @Test func staleWhileRevalidateServesStaleAndRefreshesOnceInTheBackground() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=1, stale-while-revalidate=60"), ("ETag", "\"v1\"")]), at: 0))
        let (stale, refresh) = try #require(cache.lookup(get, now: 5 * second, whenFilled: noCallback).refresh)
        #expect(String(buffer: stale.body) == "hello, world")
        #expect(refresh.conditionalFields == "If-None-Match: \"v1\"\r\n")
        // While it runs, others get the stale entry too, without a second refresh.
        #expect(cache.lookup(get, now: 5 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.statistics.staleHits == 2)
        _ = refresh.notModified(response(.notModified, [("Cache-Control", "max-age=60")]), now: 6 * second)
        #expect(cache.lookup(get, now: 7 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.statistics.staleHits == 2)
    }

    @Test func pastTheWindowOrForAHeadTheRequestRefreshesItself() throws {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=1, stale-while-revalidate=60"), ("ETag", "\"v1\"")]), at: 0))
        let head = try #require(cache.lookup(request(.HEAD), now: 5 * second, whenFilled: noCallback).fill)
        head.abandon()
        let late = try #require(cache.lookup(get, now: 62 * second, whenFilled: noCallback).fill)
        #expect(cache.lookup(get, now: 62 * second, whenFilled: noCallback).isWait)
        late.abandon()
    }
}
