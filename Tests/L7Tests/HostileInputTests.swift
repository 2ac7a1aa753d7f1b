import NIOCore
@testable import L7Strategy
import SashaSDK
import Testing

/// Requests no honest client sends get an answer and a closed connection, never a crash, and
/// never reach a server.
@Suite struct HostileInputTests {
    static func send(_ request: String, options: String = "{}") async throws -> (reply: String, backendRequests: Int) {
        let backend = try Backend("b")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: options, backends: [backend])
        defer { proxy.stop() }
        let reply = try await RawClient.exchange(request, with: proxy.vip, port: proxy.port)
        return (reply, backend.seen.requests)
    }

    @Test(arguments: [
        ("content-length and chunked", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("two different lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        ("negative length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        ("obsolete line folding", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n"),
        ("not HTTP", "\u{1}\u{2}\u{3} garbage\r\n\r\n"),
    ])
    func smugglingShapesGet400(_ name: String, _ request: String) async throws {
        let (reply, backendRequests) = try await Self.send(request)
        #expect(reply.hasPrefix("HTTP/1.1 400"), "\(name): \(reply.prefix(60))")
        #expect(backendRequests == 0, "\(name) reached the server")
    }

    @Test func headersOverTheLimitGet431() async throws {
        let big = String(repeating: "x", count: 17 * 1024)
        let (reply, backendRequests) = try await Self.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 431"))
        #expect(backendRequests == 0)
        // Many small headers add up too.
        let many = (0..<400).map { "X-H\($0): \(String(repeating: "y", count: 40))\r\n" }.joined()
        #expect(try await Self.send("GET / HTTP/1.1\r\nHost: a\r\n\(many)\r\n").reply.hasPrefix("HTTP/1.1 431"))
        // And the limit is an option.
        let small = String(repeating: "z", count: 2_000)
        let limited = try await Self.send("GET / HTTP/1.1\r\nHost: a\r\nX-S: \(small)\r\n\r\n", options: #"{"limits": {"max_header_bytes": 1024}}"#)
        #expect(limited.reply.hasPrefix("HTTP/1.1 431"))
    }

    @Test func aSlowHeadIsCut() async throws {
        let backend = try Backend("b")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"limits": {"header_timeout_ms": 300}}"#, backends: [backend])
        defer { proxy.stop() }
        let started = ContinuousClock.now
        let pieces = ["GET / HTTP/1.1\r\n", "Host: a\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n", "\r\n"]
        let reply = try await RawClient.exchange(pieces, with: proxy.vip, port: proxy.port, pause: .milliseconds(200))
        #expect(reply.hasPrefix("HTTP/1.1 408"))
        // Loose: a loaded CI machine is slow, but a client that is never cut waits forever.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(backend.seen.requests == 0)
    }

    @Test func aBodyOverTheLimitGets413() async throws {
        let (reply, backendRequests) = try await Self.send(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", options: #"{"limits": {"max_body_bytes": 1000}}"#)
        #expect(reply.hasPrefix("HTTP/1.1 413"))
        #expect(backendRequests == 0)
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        let backend = try Backend("b")
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"limits": {"idle_timeout_ms": 200}}"#, backends: [backend])
        defer { proxy.stop() }
        let client = try await proxy.client()
        #expect(try await client.get("/").status == 200)
        #expect(await client.waitForClose(timeout: .seconds(3)))
    }
}
