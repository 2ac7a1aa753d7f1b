import NIOCore
import NIOHTTP1
@testable import L7Strategy
import SashaSDK
import Testing

/// The dispatcher's cache in front of the servers.
@Suite struct CacheTests {
    @Test func aHitIsServedWithoutTouchingTheServer() async throws {
        let backend = try Backend("cached", behaviour: .cacheable)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        let first = try await client.get("/logo.png")
        #expect(first.status == 200 && first.text == "cached")
        #expect(first.header("x-cache") == "MISS")
        for _ in 0..<5 {
            let again = try await client.get("/logo.png")
            #expect(again.status == 200 && again.text == "cached")
            #expect(again.header("x-cache") == "HIT")
            #expect(again.header("age") != nil)
        }
        #expect(backend.seen.requests == 1)
        let cache = proxy.stats["cache"] as? [String: Int]
        #expect(cache?["hits"] == 5 && cache?["misses"] == 1)
        // Another path is another object.
        #expect(try await client.get("/other.png").header("x-cache") == "MISS")
        #expect(backend.seen.requests == 2)
    }

    @Test func uncacheableResponsesAndDisabledCachesGoToTheServer() async throws {
        let plain = try Backend("plain")
        defer { plain.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"default_ttl_s": 0}}"#, backends: [plain])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        for _ in 0..<3 { #expect(try await client.get("/p").header("x-cache") == "MISS") }
        #expect(plain.seen.requests == 3)

        let cacheable = try Backend("c", behaviour: .cacheable)
        defer { cacheable.close() }
        let off = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [cacheable])
        defer { off.stop() }
        let offClient = try await off.client()
        defer { offClient.close() }
        for _ in 0..<3 { #expect(try await offClient.get("/c").header("x-cache") == nil) }
        #expect(cacheable.seen.requests == 3)
    }

    @Test func concurrentMissesForOneObjectMakeOneServerRequest() async throws {
        let backend = try Backend("once", behaviour: .cacheable)
        defer { backend.close() }
        // The first clients wait for the last to connect before anyone sends: on a loaded machine
        // that can outlast the default header timeout.
        let proxy = try ProxyHarness(options: #"{"limits": {"header_timeout_ms": 120000}}"#, backends: [backend])
        defer { proxy.stop() }
        var clients: [TestClient] = []
        for _ in 0..<8 { clients.append(try await proxy.client()) }
        defer { clients.forEach { $0.close() } }
        for client in clients { client.send(.GET, "/same.css") }
        for client in clients { #expect(try await client.response().text == "once") }
        #expect(backend.seen.requests == 1)
    }

    @Test func aStoredResponseIsRevalidatedAndTheServers304NeverReachesTheClient() async throws {
        let backend = try Backend("stored copy", behaviour: .revalidatable)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        let first = try await client.get("/doc")
        #expect(first.status == 200 && first.text == "stored copy" && first.header("x-cache") == "MISS")
        for _ in 0..<2 {
            // `no-cache`: stored, and revalidated before each use.
            let again = try await client.get("/doc")
            #expect(again.status == 200 && again.text == "stored copy")
            #expect(again.header("x-cache") == "HIT" && again.header("x-revalidated") == "yes")
            #expect(again.header("content-length") == "11")
        }
        let heads = backend.seen.heads
        #expect(heads.count == 3)
        #expect(heads.first?.headers["if-none-match"] == [])
        #expect(heads.dropFirst().allSatisfy { $0.headers["if-none-match"] == ["\"v1\""] })
        // The server's connection was reused after each 304.
        #expect(backend.seen.connections == 1)
        let cache = proxy.stats["cache"] as? [String: Int]
        #expect(cache?["revalidations"] == 2 && cache?["not_modified"] == 2)
        // A client's own conditional request is its own: the 304 it asked for reaches it.
        let conditional = try await client.get("/doc", headers: [("If-None-Match", "\"v1\"")])
        #expect(conditional.status == 304)
    }

    @Test func staleWhileRevalidateAnswersStaleAndRefreshesInTheBackground() async throws {
        let backend = try Backend("version", behaviour: .staleWhileRevalidate)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/v").text == "version 1")
        try await Task.sleep(for: .milliseconds(1_100))
        // Stale: served at once, and one refresh goes to the server on its own.
        let stale = try await client.get("/v")
        #expect(stale.text == "version 1" && stale.header("x-cache") == "HIT")
        for _ in 0..<100 where backend.seen.requests < 2 { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(50))
        let refreshed = try await client.get("/v")
        #expect(refreshed.text == "version 2" && refreshed.header("x-cache") == "HIT")
        #expect(backend.seen.requests == 2)
        // The refresh tells the server which client it is for, as the client's own request did.
        let heads = backend.seen.heads
        #expect(heads.count == 2 && heads[1].headers["x-forwarded-for"] == heads[0].headers["x-forwarded-for"], "\(heads)")
        let forwarded = heads.last?.headers["forwarded"].first ?? ""
        #expect(forwarded.hasPrefix("for=127.0.0.1;"), "\(heads)")
    }
}
