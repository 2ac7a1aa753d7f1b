import HTTPCache
import NIOHTTP1
import Testing

/// An unsafe request's success drops what was stored for its URL, and for the `Location` and
/// `Content-Location` it names on the same host (RFC 9111 §4.4).
@Suite("Invalidation")
struct InvalidationTests {
    let fresh = response(.ok, [("Cache-Control", "max-age=60")])

    @Test(arguments: [
        ("Location", "/dir/target", true), ("Content-Location", "/dir/target", true),
        ("Location", "http://example.test/dir/target", true), ("Location", "HTTP://EXAMPLE.TEST/dir/target#top", true),
        ("Location", "target", true), ("Location", "http://other.test/dir/target", false), ("Location", "//other.test/dir/target", false),
        ("Location", "/dir/elsewhere", false), ("Content-Location", "", false),
    ])
    func locationsOnTheSameHostAreInvalidatedToo(field: String, value: String, dropped: Bool) {
        let cache = makeCache()
        let target = request(.GET, "/dir/target")
        #expect(play(cache, target, fresh, at: 0))
        #expect(play(cache, request(.GET, "/dir/form"), fresh, at: 0))
        let invalidation = cache.lookup(request(.POST, "/dir/form?x=1"), now: 1, whenFilled: noCallback).invalidation
        invalidation?.responded(response(.seeOther, [(field, value)]))
        #expect((cache.lookup(target, now: 2, whenFilled: noCallback).fill != nil) == dropped)
    }

    @Test func aFailedWriteLeavesTheLocationsAlone() {
        let cache = makeCache()
        let target = request(.GET, "/target")
        #expect(play(cache, target, fresh, at: 0))
        let invalidation = cache.lookup(request(.PUT, "/form"), now: 1, whenFilled: noCallback).invalidation
        invalidation?.responded(response(.badRequest, [("Location", "/target")]))
        #expect(cache.lookup(target, now: 2, whenFilled: noCallback).hit != nil)
    }
}
