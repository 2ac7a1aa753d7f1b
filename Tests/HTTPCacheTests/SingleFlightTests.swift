import HTTPCache
import NIOHTTP1
import Testing

/// Concurrent misses for one key make one upstream request.
@Suite("Single flight")
struct SingleFlightTests {
    let fresh = response(.ok, [("Cache-Control", "max-age=60")])

    @Test func secondLookupWaitsAndGetsTheStoredResponse() throws {
        let cache = makeCache()
        let deliveries = Deliveries()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        fill.begin(fresh, now: 0)
        fill.append(buffer("shared"))
        #expect(deliveries.all.isEmpty)
        fill.finish(now: 1)
        let delivered = try #require(deliveries.all.first.flatMap { $0 })
        #expect(deliveries.all.count == 1)
        #expect(String(buffer: delivered.body) == "shared")
        #expect(delivered.responseHead(now: 1).headers["X-Cache"] == ["HIT"])
        #expect(cache.lookup(request(), now: 2, whenFilled: noCallback).hit != nil)
        let statistics = cache.statistics
        #expect(statistics.misses == 1)
        #expect(statistics.coalescedWaits == 1)
        #expect(statistics.hits == 1)
        #expect(statistics.stores == 1)
    }

    @Test func abandonWakesWaitersWithNilAndIsIdempotent() throws {
        let cache = makeCache()
        let deliveries = Deliveries()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        fill.begin(fresh, now: 0)
        fill.abandon()
        fill.abandon()
        fill.finish(now: 1)
        #expect(deliveries.all.count == 2)
        #expect(deliveries.all.allSatisfy { $0 == nil })
        #expect(cache.statistics.stores == 0)
        #expect(cache.lookup(request(), now: 2, whenFilled: noCallback).fill != nil)
    }

    @Test func abandonAfterFinishIsANoOp() throws {
        let cache = makeCache()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        fill.begin(fresh, now: 0)
        fill.finish(now: 0)
        fill.abandon()
        #expect(cache.statistics.entries == 1)
        #expect(cache.lookup(request(), now: 1, whenFilled: noCallback).hit != nil)
    }

    @Test func uncacheableResponseWakesWaitersWithNilAtTheHead() throws {
        let cache = makeCache()
        let deliveries = Deliveries()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        fill.begin(response(.ok, [("Cache-Control", "private")]), now: 0)
        #expect(deliveries.all.count == 1)
        #expect(deliveries.all.first.map { $0 == nil } == true)
        fill.append(buffer("ignored"))
        fill.finish(now: 0)
        #expect(deliveries.all.count == 1)
    }

    @Test func droppedFillReleasesItsWaiters() {
        let cache = makeCache()
        let deliveries = Deliveries()
        do {
            let lookup = cache.lookup(request(), now: 0, whenFilled: noCallback)
            #expect(lookup.fill != nil)
            #expect(cache.lookup(request(), now: 0, whenFilled: deliveries.callback).isWait)
        }
        #expect(deliveries.all.count == 1)
        #expect(deliveries.all.first.map { $0 == nil } == true)
        #expect(cache.lookup(request(), now: 1, whenFilled: noCallback).fill != nil)
    }

    @Test func headWaitsForAGetFillAndGetsNoBody() throws {
        let cache = makeCache()
        let deliveries = Deliveries()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(.HEAD), now: 0, whenFilled: deliveries.callback).isWait)
        fill.begin(fresh, now: 0)
        fill.append(buffer("body"))
        fill.finish(now: 0)
        let delivered = try #require(deliveries.all.first.flatMap { $0 })
        #expect(!delivered.includesBody)
        #expect(delivered.body.readableBytes == 0)
        #expect(delivered.responseHead(now: 0).headers["Content-Length"] == ["4"])
    }

    @Test func getDoesNotWaitForAHeadFill() throws {
        let cache = makeCache()
        let headFill = try #require(cache.lookup(request(.HEAD), now: 0, whenFilled: noCallback).fill)
        let getFill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(.HEAD), now: 0, whenFilled: noCallback).isWait)
        headFill.abandon()
        getFill.abandon()
    }

    @Test func waiterForAnotherVariantGetsNil() throws {
        let cache = makeCache()
        let gzip = Deliveries()
        let brotli = Deliveries()
        let fill = try #require(cache.lookup(request(.GET, "/", [("Accept-Encoding", "gzip")]), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(.GET, "/", [("Accept-Encoding", "gzip")]), now: 0, whenFilled: gzip.callback).isWait)
        #expect(cache.lookup(request(.GET, "/", [("Accept-Encoding", "br")]), now: 0, whenFilled: brotli.callback).isWait)
        fill.begin(response(.ok, [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")]), now: 0)
        fill.finish(now: 0)
        #expect(gzip.all.count == 1 && gzip.all.first.map { $0 != nil } == true)
        #expect(brotli.all.count == 1 && brotli.all.first.map { $0 == nil } == true)
    }

    @Test func authorizedAndConditionalRequestsDoNotJoinAFill() throws {
        let cache = makeCache()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        #expect(cache.lookup(request(.GET, "/page", [("Authorization", "Bearer x")]), now: 0, whenFilled: noCallback).isBypass)
        #expect(cache.lookup(request(.GET, "/page", [("If-None-Match", "\"a\"")]), now: 0, whenFilled: noCallback).isBypass)
        fill.abandon()
        #expect(cache.statistics.coalescedWaits == 0)
        #expect(cache.statistics.bypasses == 2)
    }

    @Test func otherKeysDoNotWait() throws {
        let cache = makeCache()
        let first = try #require(cache.lookup(request(.GET, "/a"), now: 0, whenFilled: noCallback).fill)
        let second = try #require(cache.lookup(request(.GET, "/b"), now: 0, whenFilled: noCallback).fill)
        first.abandon()
        second.abandon()
        #expect(cache.statistics.misses == 2)
    }
}
