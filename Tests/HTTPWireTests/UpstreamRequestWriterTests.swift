import HTTPWire
import NIOCore
import Testing

@Suite struct UpstreamRequestWriterTests {
    let forwarding = Forwarding(client: "192.0.2.7", proxy: "192.0.2.1")

    func upstream(_ message: String, forwarding: Forwarding? = nil, keepingUpgrade: Bool = false) throws -> String {
        let source = Wire.buffer(message)
        let scanned = try #require(Wire.parse(message))
        var out = ByteBuffer()
        HeadWriter.writeUpstreamRequest(head: scanned.head, from: source, into: &out, forwarding: forwarding ?? self.forwarding,
                                        keepingUpgrade: keepingUpgrade)
        return String(buffer: out)
    }

    @Test func hopByHopFieldsGoAndTheForwardingFieldsAreMergedInPlace() throws {
        let written = try upstream(
            "GET /path?q HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\n"
                + "X-Secret: 1\r\nX-Forwarded-For: 198.51.100.1\r\nAccept:  */*\r\nx-forwarded-for: 198.51.100.2\r\nTE: trailers\r\n"
                + "Expect: 100-continue\r\nProxy-Connection: keep-alive\r\nVia: 1.0 old\r\nX-Forwarded-Proto: https\r\n"
                + "Upgrade: h2c\r\nCookie: a=b\r\n\r\n")
        #expect(written == "GET /path?q HTTP/1.1\r\nHost: example.com\r\n"
            + "X-Forwarded-For: 198.51.100.1, 198.51.100.2, 192.0.2.7\r\nAccept:  */*\r\nVia: 1.0 old, 1.1 sasha\r\n"
            + "X-Forwarded-Proto: http\r\nCookie: a=b\r\nForwarded: for=192.0.2.7;proto=http;by=192.0.2.1\r\n\r\n")
    }

    @Test func aPlainRequestGainsTheFourForwardingFieldsAtTheEnd() throws {
        #expect(try upstream("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.7\r\n"
            + "X-Forwarded-Proto: http\r\nForwarded: for=192.0.2.7;proto=http;by=192.0.2.1\r\nVia: 1.1 sasha\r\n\r\n")
    }

    @Test func anExistingForwardedFieldIsAppendedTo() throws {
        let written = try upstream("GET / HTTP/1.1\r\nForwarded: for=198.51.100.1\r\nHost: a\r\n\r\n")
        #expect(written.hasPrefix("GET / HTTP/1.1\r\nForwarded: for=198.51.100.1, for=192.0.2.7;proto=http;by=192.0.2.1\r\nHost: a\r\n"))
    }

    @Test func anIPv6ClientIsQuotedAndBracketedInForwardedOnly() throws {
        let written = try upstream("GET / HTTP/1.1\r\nHost: a\r\n\r\n", forwarding: Forwarding(client: "2001:db8::7", proxy: "::1", proto: "https"))
        #expect(written.contains("X-Forwarded-For: 2001:db8::7\r\n"))
        #expect(written.contains("X-Forwarded-Proto: https\r\n"))
        #expect(written.contains("Forwarded: for=\"[2001:db8::7]\";proto=https;by=\"[::1]\"\r\n"))
    }

    /// The smuggling fix: a client cannot make the proxy strip framing or routing from the
    /// server's view of its request by naming them in Connection.
    @Test func contentLengthTransferEncodingAndHostSurviveBeingNamedInConnection() throws {
        let sized = try upstream("POST / HTTP/1.1\r\nHost: a\r\nConnection: content-length, host, close\r\nContent-Length: 5\r\n\r\n")
        #expect(sized.hasPrefix("POST / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:"))
        #expect(sized.hasSuffix("\r\nContent-Length: 5\r\n\r\n"))
        let chunked = try upstream("POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(chunked.hasSuffix("\r\nTransfer-Encoding: chunked\r\n\r\n"))
    }

    @Test func otherFieldsNamedInConnectionAreRemovedKnownOrNot() throws {
        let written = try upstream("GET / HTTP/1.1\r\nHost: a\r\nConnection: cookie, x-forwarded-for, X-Private\r\nCookie: a=b\r\n"
            + "X-Forwarded-For: 203.0.113.9\r\nX-PRIVATE: 1\r\nX-Public: 2\r\n\r\n")
        #expect(written == "GET / HTTP/1.1\r\nHost: a\r\nX-Public: 2\r\nX-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
            + "Forwarded: for=192.0.2.7;proto=http;by=192.0.2.1\r\nVia: 1.1 sasha\r\n\r\n")
    }

    @Test func methodsWithoutBodiesKeepTheContentLengthTheyCameWith() throws {
        for method in ["GET", "OPTIONS", "DELETE", "TRACE", "HEAD"] {
            let written = try upstream("\(method) / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
            #expect(written.hasPrefix("\(method) / HTTP/1.1\r\nHost: a\r\n"), "\(method)")
            #expect(written.hasSuffix("\r\nContent-Length: 3\r\n\r\n"), "\(method)")
        }
    }

    @Test func anUpgradeIsKeptOnlyWhenAsked() throws {
        let message = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n"
        let kept = try upstream(message, keepingUpgrade: true)
        #expect(kept.hasPrefix("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n"))
        #expect(kept.hasSuffix("Via: 1.1 sasha\r\nConnection: upgrade\r\n\r\n"))
        let dropped = try upstream(message)
        #expect(!dropped.lowercased().contains("upgrade"))
    }

    @Test func anHTTP10RequestGoesUpAsHTTP11WithAHostAndVia10() throws {
        #expect(try upstream("GET /old HTTP/1.0\r\nAccept: */*\r\n\r\n") == "GET /old HTTP/1.1\r\nHost: 192.0.2.1\r\nAccept: */*\r\n"
            + "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\nForwarded: for=192.0.2.7;proto=http;by=192.0.2.1\r\nVia: 1.0 sasha\r\n\r\n")
        let v6 = try upstream("GET / HTTP/1.0\r\n\r\n", forwarding: Forwarding(client: "::2", proxy: "2001:db8::1"))
        #expect(v6.hasPrefix("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n"))
        let withHost = try upstream("GET / HTTP/1.0\r\nHost: a\r\n\r\n")
        #expect(withHost.hasPrefix("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For"))
    }

    @Test func emptyForwardingValuesAreNotListed() throws {
        let written = try upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:\r\nVia: \r\n\r\n")
        #expect(written.contains("X-Forwarded-For: 192.0.2.7\r\n"))
        #expect(written.contains("Via: 1.1 sasha\r\n"))
    }

    /// Offsets count from the reader index: a head in the middle of a buffer is copied right.
    @Test func theHeadIsReadFromTheSourcesReaderIndex() throws {
        var source = ByteBuffer(string: "leftover bodyGET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        source.moveReaderIndex(forwardBy: 13)
        var scanner = HeadScanner(kind: .request)
        guard case .complete(let head, _) = scanner.scan(source) else { Issue.record("no head"); return }
        var out = ByteBuffer()
        HeadWriter.writeUpstreamRequest(head: head, from: source, into: &out, forwarding: forwarding)
        #expect(String(buffer: out).hasPrefix("GET /x HTTP/1.1\r\nHost: a\r\n"))
    }

    @Test func whatIsWrittenScansAgainAsTheSameRequest() throws {
        let messages = [
            "PATCH http://a/b?c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: te\r\nTE: trailers\r\n\r\n",
            "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nProxy-Connection: keep-alive\r\n\r\n",
            "OPTIONS * HTTP/1.0\r\n\r\n",
        ]
        for message in messages {
            let original = try #require(Wire.parse(message))
            let written = try upstream(message)
            let again = try #require(Wire.parse(written), "\(written.debugDescription)")
            #expect(again.text(again.head.methodBytes) == original.text(original.head.methodBytes))
            #expect(again.text(again.head.target) == original.text(original.head.target))
            #expect(again.head.isChunked == original.head.isChunked)
            #expect(again.head.version == .http1_1)
            #expect(again.length == written.utf8.count)
        }
    }
}
