import HTTPWire
import Testing

@Suite struct ResponseHeadTests {
    @Test func aStatusLineGivesStatusReasonAndVersion() throws {
        let scanned = try #require(Wire.parse("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop", .response))
        #expect(scanned.head.kind == .response)
        #expect(scanned.head.status == 404)
        #expect(scanned.text(scanned.head.reason) == "Not Found")
        #expect(scanned.head.version == .http1_1)
        #expect(scanned.head.contentLength == 3)
        #expect(scanned.length == scanned.bytes.count - 3)
    }

    /// RFC 9110 §15: any three digits; the cache-tests origin answers 999 on purpose.
    @Test func anUnknownStatusCodeIsPassedOn() throws {
        let head = try #require(Wire.parse("HTTP/1.1 999 Unusual\r\nContent-Length: 0\r\n\r\n", .response)).head
        #expect(head.status == 999)
    }

    @Test func anEmptyOrMissingReasonIsAccepted() throws {
        #expect(try #require(Wire.parse("HTTP/1.1 204 \r\n\r\n", .response)).head.reason.isEmpty)
        let bare = try #require(Wire.parse("HTTP/1.0 200\r\n\r\n", .response))
        #expect(bare.head.status == 200 && bare.head.reason.isEmpty && bare.head.version == .http1_0)
    }

    @Test func aResponseNeedsNoHostAndMayHaveOtherCodingsBeforeChunked() throws {
        let scanned = try #require(Wire.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n", .response))
        #expect(scanned.head.isChunked)
        #expect(scanned.head.host == nil)
        #expect(!scanned.head.keepAlive)
    }

    @Test func aKeepAliveHTTP10ResponseSaysSo() throws {
        #expect(try #require(Wire.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", .response)).head.keepAlive)
        #expect(try #require(Wire.parse("HTTP/1.0 200 OK\r\n\r\n", .response)).head.keepAlive == false)
    }

    /// A broken response is the server's fault: whatever is wrong, the client gets 502.
    @Test(arguments: [Message]([
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A : a\r\n\r\n",
        "HTTP/1.1 200 OK\nX-A: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: \u{0}\r\n\r\n",
        "HTTP/1.1 200 O\u{1}K\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n",
        " HTTP/1.1 200 OK\r\n\r\n",
    ]))
    func everyBrokenResponseIsA502(_ message: Message) throws {
        #expect(try #require(Wire.refusal(message.text, .response)).status == 502)
    }

    @Test func limitsAppliedToAResponseAlsoAnswer502() throws {
        let long = "HTTP/1.1 200 " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        #expect(try #require(Wire.refusal(long, .response)).status == 502)
        let many = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: 1\r\n", count: 101) + "\r\n"
        #expect(try #require(Wire.refusal(many, .response)).status == 502)
    }
}
