import NIOCore
import NIOHTTP1
@testable import L7Strategy
import SashaSDK
import Testing

/// Keep-alive on both sides: pipelined clients, HTTP/1.0 clients, pooled server connections that
/// went stale.
@Suite struct ConnectionReuseTests {
    @Test func aStalePooledConnectionIsRetriedForGetWithoutBlamingTheServer() async throws {
        let backend = try Backend("stale", behaviour: .dropSecondRequest)
        defer { backend.close() }
        let proxy = try ProxyHarness(
            options: #"{"threads": 1, "cache": {"enabled": false}, "upstream": {"eject_after_failures": 1}}"#, backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        for index in 0..<5 {
            #expect(try await client.get("/s/\(index)").text == "stale")
        }
        // Each reuse met a closed connection and went to a fresh one; the server was never
        // ejected (one failure would have done it) and the client never saw an error.
        #expect(proxy.stat("ejections") == 0)
        #expect(proxy.stat("upstream_failures") == 0)
        #expect(backend.seen.connections >= 5)
    }

    @Test func aStalePooledConnectionFailsAPostRatherThanSendItTwice() async throws {
        let backend = try Backend("stale", behaviour: .dropSecondRequest)
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"threads": 1, "cache": {"enabled": false}}"#, backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/first").status == 200)
        client.send(.POST, "/second", body: ByteBuffer(string: "once"))
        #expect(try await client.response().status == 502)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let backend = try Backend("pipe")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [backend])
        defer { proxy.stop() }
        let requests = (0..<3).map { "GET /p/\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
            + "GET /p/last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let reply = try await RawClient.exchange(requests, with: proxy.vip, port: proxy.port)
        #expect(reply.components(separatedBy: "HTTP/1.1 200 OK").count == 5)
        #expect(backend.seen.heads.map(\.uri) == ["/p/0", "/p/1", "/p/2", "/p/last"])
    }

    @Test func anHTTP10ClientGetsAnHTTP10AnswerAndAClose() async throws {
        let backend = try Backend("old", behaviour: .download(size: 10_000, chunked: true))
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let reply = try await RawClient.exchange("GET /old HTTP/1.0\r\nHost: a\r\n\r\n", with: proxy.vip, port: proxy.port)
        #expect(reply.hasPrefix("HTTP/1.0 200 OK"))
        // No chunked framing for a 1.0 client: the body runs to the close.
        #expect(!reply.lowercased().contains("transfer-encoding"))
        let body = reply.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(body.unicodeScalars.count == 10_000)
        // The server still got HTTP/1.1 and kept its connection for the pool.
        #expect(backend.seen.heads.last?.version == .http1_1)
    }

    @Test func headAnswersCarryNoBodyAndKeepTheConnection() async throws {
        let backend = try Backend("head")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        client.send(.HEAD, "/h")
        let head = try await client.response()
        #expect(head.status == 200 && head.body.readableBytes == 0)
        #expect(head.header("content-length") == "4")
        #expect(try await client.get("/after").text == "head")
    }

    @Test func expectContinueIsAnsweredByTheProxy() async throws {
        let backend = try Backend("sink", behaviour: .sink)
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        // The body goes only after the 100: a client that waits for it gets it, and the server
        // sees no Expect of its own.
        let reply = try await RawClient.exchange(
            ["PUT /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", "hello"],
            with: proxy.vip, port: proxy.port, pause: .milliseconds(300))
        #expect(reply.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"))
        #expect(reply.hasSuffix("5 \(PatternBytes.checksum(ByteBuffer(string: "hello"), seed: 0))"))
        #expect(backend.seen.heads.last?.headers["expect"] == [])
    }

    @Test func connectIsRefused() async throws {
        let backend = try Backend("b")
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        let reply = try await RawClient.exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", with: proxy.vip, port: proxy.port)
        #expect(reply.hasPrefix("HTTP/1.1 405"))
        #expect(backend.seen.requests == 0)
    }
}
