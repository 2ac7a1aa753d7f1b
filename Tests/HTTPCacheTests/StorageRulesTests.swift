import HTTPCache
import NIOHTTP1
import Testing

/// What the response says about being stored (RFC 9111 §3 for a shared cache).
@Suite("Response storage rules")
struct StorageRulesTests {
    let get = request()

    @Test func plainOKIsStoredAndThenHit() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=60")]), at: 0))
        let hit = cache.lookup(get, now: 1 * second, whenFilled: noCallback).hit
        #expect(hit.map { String(buffer: $0.body) } == "hello, world")
        #expect(cache.statistics.hits == 1)
        #expect(cache.statistics.misses == 1)
    }

    @Test(arguments: [
        "no-store", "private", "no-cache", "max-age=60, no-store", "max-age=60, private", "s-maxage=60, no-cache",
        #"private="Set-Cookie", max-age=60"#, #"no-cache="X-Foo", max-age=60"#,
    ])
    func responseDirectivesThatForbidStoring(cacheControl: String) {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", cacheControl)]), at: 0))
        #expect(cache.lookup(get, now: 1, whenFilled: noCallback).fill != nil)
        #expect(cache.statistics.entries == 0)
    }

    @Test func setCookieIsNotStored() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("Cache-Control", "public, max-age=60"), ("Set-Cookie", "id=1")]), at: 0))
    }

    @Test func authorizedRequestsStoreOnlyPublicOrSharedMaxAge() {
        let authorized = request(.GET, "/me", [("Authorization", "Bearer abc")])
        let cache = makeCache()
        #expect(!play(cache, authorized, response(.ok, [("Cache-Control", "max-age=60")]), at: 0))
        #expect(play(cache, authorized, response(.ok, [("Cache-Control", "public, max-age=60")]), at: 0))
        // Stored as shareable: answers the next authorized request and anonymous ones.
        #expect(cache.lookup(authorized, now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(request(.GET, "/me"), now: 1, whenFilled: noCallback).hit != nil)

        let other = request(.GET, "/team", [("Authorization", "Bearer abc")])
        #expect(play(cache, other, response(.ok, [("Cache-Control", "s-maxage=60")]), at: 0))
        // must-revalidate too (RFC 9111 §3.5): the origin is asked again once it is stale.
        let revalidated = request(.GET, "/mine", [("Authorization", "Bearer abc")])
        #expect(play(cache, revalidated, response(.ok, [("Cache-Control", "max-age=60, must-revalidate")]), at: 0))
        #expect(cache.lookup(revalidated, now: 1, whenFilled: noCallback).hit != nil)
    }

    @Test func authorizedRequestsAreNotServedEntriesThatWereNotShareable() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("Cache-Control", "max-age=60")]), at: 0))
        let authorized = request(.GET, "/page", [("Authorization", "Basic dTpw")])
        // It goes upstream itself (and its non-public answer will not be stored).
        let lookup = cache.lookup(authorized, now: 1, whenFilled: noCallback)
        #expect(lookup.fill != nil)
        lookup.fill?.begin(response(.ok, [("Cache-Control", "max-age=60")]), now: 1)
        lookup.fill?.finish(now: 1)
        #expect(cache.statistics.stores == 1)
        // The anonymous entry is still there for anonymous requests.
        #expect(cache.lookup(get, now: 2, whenFilled: noCallback).hit != nil)
    }

    @Test func partialContentIsNeverStored() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.partialContent, [("Cache-Control", "max-age=60"), ("Content-Range", "bytes 0-4/10")]), at: 0))
    }

    @Test(arguments: [201, 302, 303, 307, 400, 403, 500, 502, 503])
    func anyStatusWithExplicitFreshnessIsStored(code: Int) {
        let cache = makeCache()
        #expect(play(cache, get, response(HTTPResponseStatus(statusCode: code), [("Cache-Control", "max-age=5")]), at: 0))
    }

    @Test func notModifiedIsNotStoredEvenWithFreshness() {
        let cache = makeCache()
        #expect(!play(cache, get, response(.notModified, [("Cache-Control", "max-age=60")]), body: "", at: 0))
    }

    /// `must-understand` (RFC 9111 §5.2.2.3): `no-store` stands only for a status the cache does
    /// not know (http-tests cache-tests `status-200-must-understand`, `status-599-must-understand`).
    @Test func mustUnderstandOverridesNoStoreOnlyForKnownStatuses() {
        let cache = makeCache()
        let directives = [("Cache-Control", "max-age=3600, no-store, must-understand")]
        #expect(play(cache, request(), response(.ok, directives), at: 0))
        #expect(!play(cache, request(.GET, "/odd"), response(HTTPResponseStatus(statusCode: 599), directives), at: 0))
        #expect(!play(cache, request(.GET, "/plain"), response(.ok, [("Cache-Control", "max-age=3600, no-store")]), at: 0))
    }
}
