import HTTPCache
import NIOHTTP1
import Testing

/// The byte bound: LRU eviction under `maxBytes`, refusal over `maxObjectBytes`.
@Suite("Store bounds")
struct StoreBoundsTests {
    let fresh = response(.ok, [("Cache-Control", "max-age=60")])
    let body = String(repeating: "x", count: 1000)

    /// Bytes one entry for `/a`-like URLs costs (all test entries have the same shape).
    func entryCost() -> Int {
        let probe = makeCache()
        play(probe, request(.GET, "/a"), fresh, body: body, at: 0)
        return probe.statistics.bytes
    }

    @Test func leastRecentlyUsedIsEvictedFirst() {
        let cost = entryCost()
        #expect(cost > 1000 && cost < 2000)
        let cache = makeCache(maxBytes: 3 * cost + cost / 2)
        for path in ["/a", "/b", "/c"] { #expect(play(cache, request(.GET, path), fresh, body: body, at: 0)) }
        #expect(cache.statistics.bytes == 3 * cost)
        // Using /a makes /b the least recently used.
        #expect(cache.lookup(request(.GET, "/a"), now: 1, whenFilled: noCallback).hit != nil)
        #expect(play(cache, request(.GET, "/d"), fresh, body: body, at: 2))
        let statistics = cache.statistics
        #expect(statistics.evictions == 1)
        #expect(statistics.entries == 3)
        #expect(statistics.bytes == 3 * cost)
        #expect(statistics.bytes <= 3 * cost + cost / 2)
        #expect(cache.lookup(request(.GET, "/b"), now: 3, whenFilled: noCallback).fill != nil)
        for path in ["/a", "/c", "/d"] {
            #expect(cache.lookup(request(.GET, path), now: 3, whenFilled: noCallback).hit != nil, "\(path)")
        }
    }

    @Test func anEntryLargerThanTheWholeStoreIsNotStored() {
        let cache = makeCache(maxBytes: 900, maxObjectBytes: 4096)
        #expect(!play(cache, request(.GET, "/big"), fresh, body: body, at: 0))
        #expect(cache.statistics.bytes == 0)
    }

    @Test func bodyOfExactlyMaxObjectBytesIsStored() {
        let cache = makeCache(maxObjectBytes: 1000)
        #expect(play(cache, request(.GET, "/a"), fresh, body: body, at: 0))
        #expect(!play(cache, request(.GET, "/b"), fresh, body: body + "y", at: 0))
    }

    @Test func declaredOversizeRefusesAtTheHeadAndWakesWaiters() {
        let cache = makeCache(maxObjectBytes: 10)
        let deliveries = Deliveries()
        let fill = cache.lookup(request(), now: 0, whenFilled: noCallback).fill
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        fill?.begin(response(.ok, [("Cache-Control", "max-age=60"), ("Content-Length", "11")]), now: 0)
        #expect(deliveries.all.count == 1)
        #expect(deliveries.all.first.map { $0 == nil } == true)
        #expect(fill?.isStoring == false)
    }

    @Test(arguments: ["-1", "abc", "99999999999999999999999", " 5"])
    func badContentLengthDoesNotCrashAndTheBodyDecides(contentLength: String) {
        let cache = makeCache(maxObjectBytes: 10)
        let headers = [("Cache-Control", "max-age=60"), ("Content-Length", contentLength)]
        #expect(play(cache, request(), response(.ok, headers), body: "short", at: 0))
        let hit = cache.lookup(request(), now: 1, whenFilled: noCallback).hit
        #expect(hit?.responseHead(now: 1).headers["Content-Length"] == ["5"])
    }

    @Test func fillThatGrowsPastMaxObjectBytesIsAbandonedMidStream() {
        let cache = makeCache(maxObjectBytes: 10)
        let deliveries = Deliveries()
        let fill = cache.lookup(request(), now: 0, whenFilled: noCallback).fill
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        fill?.begin(fresh, now: 0)
        fill?.append(buffer("123456"))
        #expect(fill?.isStoring == true)
        #expect(deliveries.all.isEmpty)
        fill?.append(buffer("7890a"))
        // Abandoned at once: the waiter goes upstream without waiting for the rest.
        #expect(fill?.isStoring == false)
        #expect(deliveries.all.count == 1)
        // The proxy keeps streaming and finishes; nothing is stored, nobody is called twice.
        fill?.append(buffer("more"))
        fill?.finish(now: 1)
        #expect(cache.statistics.stores == 0)
        #expect(deliveries.all.count == 1)
        // The key is free again.
        #expect(cache.lookup(request(), now: 2, whenFilled: noCallback).fill != nil)
    }
}
