import HTTPCache
import NIOCore
import NIOHTTP1
import Testing

/// The head a hit is sent with, and the miss marker.
@Suite("Served heads")
struct ServedHeadTests {
    @Test func hitCarriesAgeAndXCacheAndTheStoredLength() throws {
        let cache = makeCache()
        let upstream = response(.ok, [
            ("Cache-Control", "max-age=60"), ("Transfer-Encoding", "chunked"), ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"), ("Keep-Alive", "timeout=5"), ("X-Cache", "MISS"), ("Age", "3"), ("Content-Type", "text/plain"),
        ])
        #expect(play(cache, request(), upstream, body: "twelve bytes", at: 0))
        let hit = try #require(cache.lookup(request(), now: 2 * second, whenFilled: noCallback).hit)
        let head = hit.responseHead(now: 2 * second)
        #expect(head.status == .ok)
        #expect(head.headers["X-Cache"] == ["HIT"])
        #expect(head.headers["Age"] == ["5"])
        #expect(head.headers["Content-Length"] == ["12"])
        #expect(head.headers["Content-Type"] == ["text/plain"])
        for hopByHop in ["Transfer-Encoding", "Connection", "X-Hop", "Keep-Alive"] {
            #expect(!head.headers.contains(name: hopByHop), "\(hopByHop)")
        }
        #expect(hit.includesBody)
        #expect(String(buffer: hit.body) == "twelve bytes")
    }

    @Test func markMissSetsOneHeader() {
        var head = response(.ok, [("X-Cache", "HIT")])
        ResponseCache.markMiss(&head)
        #expect(head.headers["X-Cache"] == ["MISS"])
    }

    @Test func storedBodyIsTheChunksReadableBytes() throws {
        let cache = makeCache()
        let fill = try #require(cache.lookup(request(), now: 0, whenFilled: noCallback).fill)
        fill.begin(response(.ok, [("Cache-Control", "max-age=60")]), now: 0)
        var chunk = ByteBuffer(string: "abcdef")
        chunk.moveReaderIndex(forwardBy: 2)
        fill.append(chunk)
        fill.append(ByteBuffer())
        fill.append(ByteBuffer(string: "g"))
        fill.finish(now: 0)
        let hit = try #require(cache.lookup(request(), now: 1, whenFilled: noCallback).hit)
        #expect(String(buffer: hit.body) == "cdefg")
    }
}
