import NIOHTTP1
@testable import L7Strategy
import Testing

/// RFC 9110 hop-by-hop handling of a cached answer's head, without sockets (heads from servers:
/// HTTPWireTests).
@Suite struct HeaderRewriteTests {
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
