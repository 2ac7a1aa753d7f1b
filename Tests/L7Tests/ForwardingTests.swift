import NIOCore
import NIOHTTP1
@testable import L7Strategy
import SashaSDK
import Testing

/// Requests through the real proxy to real backends on loopback.
@Suite struct ForwardingTests {
    @Test func getIsForwardedAndKeepAliveServesManyRequests() async throws {
        let a = try Backend("a"), b = try Backend("b")
        defer { a.close(); b.close() }
        let proxy = try ProxyHarness(backends: [a, b])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        var names: [String] = []
        for index in 0..<6 {
            let response = try await client.get("/page/\(index)")
            #expect(response.status == 200)
            names.append(response.text)
        }
        // Round-robin per request, not per client connection.
        #expect(names.sorted() == ["a", "a", "a", "b", "b", "b"])
        #expect(proxy.stat("requests") == 6)
        let servers = proxy.stats["servers"] as? [String: Int]
        #expect(servers?[a.address.description] == 3 && servers?[b.address.description] == 3)
    }

    @Test func contentRulesSendEachRequestToItsTaggedServers() async throws {
        let images = try Backend("images"), api = try Backend("api"), other = try Backend("other")
        let statics = try Backend("static"), writes = try Backend("writes"), gold = try Backend("gold")
        let all = [images, api, other, statics, writes, gold]
        defer { all.forEach { $0.close() } }
        let options = """
        {"rules": [{"tag": "images", "extension": ["png", "jpg", "gif", "webp", "svg"]}, {"tag": "api", "path_prefix": "/api/"},
         {"tag": "static", "host": "static.example.com"}, {"tag": "writes", "method": "POST"},
         {"tag": "gold", "header": {"name": "X-Tier", "value": "gold"}}], "cache": {"enabled": false}}
        """
        // Tag bits: images 0, api 1, static 2, writes 3, gold 4; "other" carries none.
        let proxy = try ProxyHarness(
            options: options, backends: all, tags: ["images", "api", "static", "writes", "gold"],
            tagMasks: [1 << 0, 1 << 1, 0, 1 << 2, 1 << 3, 1 << 4])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/img/cat.png").text == "images")
        #expect(try await client.get("/photos/dog.JPG?size=2").text == "images")
        #expect(try await client.get("/api/users").text == "api")
        #expect(try await client.get("/", host: "static.example.com").text == "static")
        client.send(.POST, "/form", body: ByteBuffer(string: "x=1"))
        #expect(try await client.response().text == "writes")
        #expect(try await client.get("/page", headers: [("X-Tier", "gold")]).text == "gold")
        // No rule: the default group is every server, so round-robin goes through them all.
        var seen = Set<String>()
        for _ in 0..<12 { seen.insert(try await client.get("/index.html").text) }
        #expect(seen == Set(all.map(\.name)))
    }

    @Test func theDefaultTagTakesUnmatchedRequests() async throws {
        let web = try Backend("web"), images = try Backend("images")
        defer { web.close(); images.close() }
        let proxy = try ProxyHarness(
            options: #"{"rules": [{"tag": "images", "extension": "png"}], "default_tag": "web"}"#,
            backends: [web, images], tags: ["images", "web"], tagMasks: [1 << 1, 1 << 0])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        for _ in 0..<4 { #expect(try await client.get("/x.html").text == "web") }
        #expect(try await client.get("/x.png").text == "images")
    }

    @Test func pooledServerConnectionsAreReusedAcrossClients() async throws {
        let backend = try Backend("pool")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [backend])
        defer { proxy.stop() }
        for index in 0..<100 {
            let client = try await proxy.client()
            #expect(try await client.get("/c/\(index)").text == "pool")
            #expect(try await client.get("/c/\(index)/again").text == "pool")
            client.close()
        }
        let connections = backend.seen.connections
        #expect(backend.seen.requests == 200)
        // One connection per event loop would do; allow a few for timing.
        #expect(connections <= 8, "backend saw \(connections) connections for 100 clients")
        #expect(proxy.stat("upstream_connections_opened") == connections)
        #expect(proxy.stat("client_connections") == 100)
    }

    @Test func theServerSeesForwardingHeadersAndNoHopByHopOnes() async throws {
        let backend = try Backend("h")
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        let response = try await client.get("/h", headers: [
            ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"), ("Keep-Alive", "timeout=3"),
            ("TE", "trailers"), ("X-Forwarded-For", "203.0.113.5"), ("Accept", "text/plain"),
        ])
        #expect(response.status == 200)
        #expect(response.header("via")?.contains("sasha") == true)
        let head = try #require(backend.seen.heads.last)
        #expect(head.headers["x-private"].isEmpty && head.headers["keep-alive"].isEmpty && head.headers["te"].isEmpty)
        #expect(head.headers["accept"] == ["text/plain"])
        #expect(head.headers["host"] == ["example.com"])
        #expect(head.headers["x-forwarded-for"] == ["203.0.113.5, 127.0.0.1"])
        #expect(head.headers["x-forwarded-proto"] == ["http"])
        #expect(head.headers["forwarded"] == ["for=127.0.0.1;proto=http;by=\(proxy.vip)"])
    }

    @Test func noServerAtAllIs503() async throws {
        let proxy = try ProxyHarness(backends: [])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/").status == 503)
        // The connection stays usable.
        #expect(try await client.get("/again").status == 503)
    }
}
