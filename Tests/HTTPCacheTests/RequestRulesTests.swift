import HTTPCache
import NIOHTTP1
import Testing

/// What the request says about being answered from the cache.
@Suite("Request rules")
struct RequestRulesTests {
    let get = request()
    let fresh = response(.ok, [("Cache-Control", "max-age=60")])

    @Test func requestNoStoreIsServedButNeverFilled() {
        let cache = makeCache()
        let noStore = request(.GET, "/page", [("Cache-Control", "no-store")])
        #expect(cache.lookup(noStore, now: 0, whenFilled: noCallback).isBypass)
        #expect(play(cache, get, fresh, at: 0))
        #expect(cache.lookup(noStore, now: 1, whenFilled: noCallback).hit != nil)
    }

    @Test(arguments: [
        [("Cache-Control", "no-cache")], [("Pragma", "no-cache")], [("Cache-Control", "max-age=0")],
        [("cache-control", "No-Cache, max-age=600")],
    ])
    func revalidatingRequestsGoUpstreamAndReplaceTheEntry(headers: [(String, String)]) {
        let cache = makeCache()
        #expect(play(cache, get, fresh, body: "old", at: 0))
        let reload = request(.GET, "/page", headers)
        #expect(play(cache, reload, fresh, body: "new", at: 1 * second))
        let hit = cache.lookup(get, now: 2 * second, whenFilled: noCallback).hit
        #expect(hit.map { String(buffer: $0.body) } == "new")
        #expect(cache.statistics.entries == 1)
        #expect(cache.statistics.invalidations == 1)
    }

    @Test func revalidatingRequestDuringAnotherFillBypasses() {
        let cache = makeCache()
        let leader = cache.lookup(get, now: 0, whenFilled: noCallback).fill
        #expect(leader != nil)
        #expect(cache.lookup(request(.GET, "/page", [("Pragma", "no-cache")]), now: 0, whenFilled: noCallback).isBypass)
        leader?.abandon()
    }

    @Test func requestMaxAgeRejectsOlderEntries() {
        let cache = makeCache()
        #expect(play(cache, get, fresh, at: 0))
        let young = request(.GET, "/page", [("Cache-Control", "max-age=10")])
        #expect(cache.lookup(young, now: 10 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(young, now: 11 * second, whenFilled: noCallback).fill != nil)
    }

    @Test func requestMinFreshRejectsEntriesAboutToExpire() {
        let cache = makeCache()
        #expect(play(cache, get, fresh, at: 0))
        let picky = request(.GET, "/page", [("Cache-Control", "min-fresh=20")])
        #expect(cache.lookup(picky, now: 40 * second, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(picky, now: 41 * second, whenFilled: noCallback).fill != nil)
    }

    @Test(arguments: ["If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"])
    func conditionalRequestsAreServedButNeverFillOrWait(header: String) {
        let cache = makeCache()
        let conditional = request(.GET, "/page", [(header, "\"v1\"")])
        #expect(cache.lookup(conditional, now: 0, whenFilled: noCallback).isBypass)
        let leader = cache.lookup(get, now: 0, whenFilled: noCallback).fill
        #expect(cache.lookup(conditional, now: 0, whenFilled: noCallback).isBypass)
        leader?.begin(fresh, now: 0)
        leader?.finish(now: 0)
        #expect(cache.lookup(conditional, now: 1, whenFilled: noCallback).hit != nil)
    }

    /// RFC 9111 §5.2.1.7; http-tests cache-tests `ccreq-oic`.
    @Test func onlyIfCachedIsServedFromTheStoreOrRefusedNeverFetched() {
        let cache = makeCache()
        let cacheOnly = request(.GET, "/page", [("Cache-Control", "max-age=600, only-if-cached")])
        #expect(cache.lookup(cacheOnly, now: 0, whenFilled: noCallback).isOnlyIfCachedMiss)
        #expect(cache.statistics.misses == 0)
        #expect(play(cache, get, fresh, at: 0))
        #expect(cache.lookup(cacheOnly, now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(request(.HEAD, "/page", [("Cache-Control", "only-if-cached")]), now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(cacheOnly, now: 60 * second, whenFilled: noCallback).isOnlyIfCachedMiss)
    }

    @Test func onlyIfCachedDoesNotWaitForAnotherFill() {
        let cache = makeCache()
        let leader = cache.lookup(get, now: 0, whenFilled: noCallback).fill
        #expect(leader != nil)
        let cacheOnly = request(.GET, "/page", [("Cache-Control", "only-if-cached")])
        #expect(cache.lookup(cacheOnly, now: 0, whenFilled: noCallback).isOnlyIfCachedMiss)
        leader?.abandon()
    }

    /// What the store cannot answer may not go upstream either.
    @Test(arguments: [
        [("Range", "bytes=0-3")], [("Cache-Control", "no-cache")], [("Pragma", "no-cache")], [("If-None-Match", "\"v1\"")],
        [("Cache-Control", "no-store")],
    ])
    func onlyIfCachedWithWhatTheStoreCannotServeIsRefused(headers: [(String, String)]) {
        let cache = makeCache()
        let cacheOnly = request(.GET, "/page", [("Cache-Control", "only-if-cached")] + headers)
        #expect(cache.lookup(cacheOnly, now: 0, whenFilled: noCallback).isOnlyIfCachedMiss)
    }

    @Test(arguments: [HTTPMethod.OPTIONS, .TRACE])
    func safeMethodsBypassAndLeaveEntries(method: HTTPMethod) {
        let cache = makeCache()
        #expect(play(cache, get, fresh, at: 0))
        #expect(cache.lookup(request(method, "/page"), now: 1, whenFilled: noCallback).isBypass)
        #expect(cache.lookup(get, now: 1, whenFilled: noCallback).hit != nil)
    }

    /// Unsafe methods, and methods whose safety the cache does not know (RFC 9111 §4.4).
    @Test(arguments: [HTTPMethod.POST, .PUT, .DELETE, .PATCH, .RAW(value: "M-SEARCH"), .RAW(value: "PROPFIND")])
    func unsafeMethodsInvalidateTheirURLOnlyAfterASuccess(method: HTTPMethod) {
        let cache = makeCache()
        #expect(play(cache, get, fresh, at: 0))
        #expect(play(cache, request(.GET, "/other"), fresh, at: 0))
        let invalidation = cache.lookup(request(method, "/page"), now: 1, whenFilled: noCallback).invalidation
        #expect(invalidation != nil)
        // Nothing is dropped until the answer is known to be a success (RFC 9111 §4.4).
        #expect(cache.lookup(get, now: 1, whenFilled: noCallback).hit != nil)
        invalidation?.responded(response(.internalServerError))
        #expect(cache.lookup(get, now: 1, whenFilled: noCallback).hit != nil)
        invalidation?.responded(response(.noContent))
        #expect(cache.lookup(get, now: 1, whenFilled: noCallback).fill != nil)
        #expect(cache.lookup(request(.GET, "/other"), now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.statistics.invalidations == 1)
    }

    @Test func disabledCacheBypassesEverything() {
        let cache = makeCache(enabled: false)
        #expect(cache.lookup(get, now: 0, whenFilled: noCallback).isBypass)
        #expect(cache.lookup(request(.HEAD), now: 0, whenFilled: noCallback).isBypass)
        #expect(cache.statistics == CacheStatistics())
    }

    @Test func keyIsHostCaseInsensitiveAndTargetExact() {
        let cache = makeCache()
        #expect(play(cache, request(.GET, "/page?a=1", host: "Example.TEST"), fresh, at: 0))
        #expect(cache.lookup(request(.GET, "/page?a=1", host: "example.test"), now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(request(.GET, "/page?a=2", host: "example.test"), now: 1, whenFilled: noCallback).fill != nil)
        #expect(cache.lookup(request(.GET, "/page?a=1", host: "other.test"), now: 1, whenFilled: noCallback).fill != nil)
    }

    @Test func headIsServedFromGetEntryWithoutBody() throws {
        let cache = makeCache()
        #expect(play(cache, get, fresh, body: "0123456789", at: 0))
        let hit = try #require(cache.lookup(request(.HEAD), now: 1, whenFilled: noCallback).hit)
        #expect(hit.body.readableBytes == 0)
        #expect(!hit.includesBody)
        #expect(hit.responseHead(now: 1).headers["Content-Length"] == ["10"])
    }

    @Test func headEntryAnswersHeadButNotGet() throws {
        let cache = makeCache()
        #expect(play(cache, request(.HEAD), response(.ok, [("Cache-Control", "max-age=60"), ("Content-Length", "42")]), body: "", at: 0))
        let hit = try #require(cache.lookup(request(.HEAD), now: 1, whenFilled: noCallback).hit)
        #expect(hit.responseHead(now: 1).headers["Content-Length"] == ["42"])
        // A GET needs a body: it fills, and its entry then serves HEADs too.
        #expect(play(cache, get, fresh, body: "abc", at: 2))
        let head = try #require(cache.lookup(request(.HEAD), now: 3, whenFilled: noCallback).hit)
        #expect(head.responseHead(now: 3).headers["Content-Length"] == ["3"])
        #expect(cache.statistics.entries == 1)
    }
}
