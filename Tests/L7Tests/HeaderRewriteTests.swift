import NIOHTTP1
@testable import L7Strategy
import Testing

/// RFC 9110 hop-by-hop handling and the forwarding fields, without sockets.
@Suite struct HeaderRewriteTests {
    @Test func requestLosesConnectionFieldsAndGainsForwardingOnes() {
        let head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/x", headers: [
            "Host": "example.com", "Connection": "keep-alive, X-Secret", "Keep-Alive": "timeout=5",
            "X-Secret": "1", "TE": "trailers", "Upgrade": "websocket", "Proxy-Connection": "close",
            "X-Forwarded-For": "203.0.113.9", "Accept": "*/*",
        ])
        let out = ForwardedHeaders.upstreamRequest(head, client: "198.18.0.7", proxy: "198.18.0.1")
        #expect(out.version == .http1_1)
        for gone in ["connection", "keep-alive", "x-secret", "te", "upgrade", "proxy-connection", "transfer-encoding"] {
            #expect(!out.headers.contains(name: gone), "\(gone) should be removed")
        }
        #expect(out.headers["host"] == ["example.com"])
        #expect(out.headers["accept"] == ["*/*"])
        #expect(out.headers["x-forwarded-for"] == ["203.0.113.9, 198.18.0.7"])
        #expect(out.headers["x-forwarded-proto"] == ["http"])
        #expect(out.headers["forwarded"] == ["for=198.18.0.7;proto=http;by=198.18.0.1"])
        #expect(out.headers["via"] == ["1.0 sasha"])
    }

    @Test func chunkedRequestsStayChunkedAndBodylessWritesSayLengthZero() {
        let chunked = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/", headers: ["Transfer-Encoding": "chunked"])
        #expect(ForwardedHeaders.upstreamRequest(chunked, client: "a", proxy: "b").headers["transfer-encoding"] == ["chunked"])
        let empty = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: [:])
        #expect(ForwardedHeaders.upstreamRequest(empty, client: "a", proxy: "b").headers["content-length"] == ["0"])
        let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: [:])
        #expect(!ForwardedHeaders.upstreamRequest(get, client: "a", proxy: "b").headers.contains(name: "content-length"))
    }

    @Test func responseLosesConnectionFieldsAndStatesItsFate() {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: [
            "Connection": "X-Hop", "X-Hop": "1", "Transfer-Encoding": "chunked", "Content-Type": "text/plain",
        ])
        let kept = ForwardedHeaders.clientResponse(head, clientVersion: .http1_1, keepAlive: true)
        #expect(!kept.headers.contains(name: "x-hop") && !kept.headers.contains(name: "transfer-encoding"))
        #expect(!kept.headers.contains(name: "connection"))
        #expect(kept.headers["content-type"] == ["text/plain"])
        let closing = ForwardedHeaders.clientResponse(head, clientVersion: .http1_1, keepAlive: false)
        #expect(closing.headers["connection"] == ["close"])
        let old = ForwardedHeaders.clientResponse(head, clientVersion: .http1_0, keepAlive: true)
        #expect(old.version == .http1_0 && old.headers["connection"] == ["keep-alive"])
    }
}
