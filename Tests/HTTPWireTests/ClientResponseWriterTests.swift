import HTTPWire
import NIOCore
import Testing

@Suite struct ClientResponseWriterTests {
    func toClient(_ message: String, version: ParsedHead.Version = .http1_1, keepAlive: Bool = true, dechunking: Bool = false,
                  keepingUpgrade: Bool = false, extra: String = "") throws -> String {
        let scanned = try #require(Wire.parse(message, .response))
        var out = ByteBuffer()
        HeadWriter.writeClientResponse(head: scanned.head, from: Wire.buffer(message), into: &out, clientVersion: version,
                                       keepAlive: keepAlive, dechunking: dechunking, keepingUpgrade: keepingUpgrade,
                                       extraFields: Array(extra.utf8))
        return String(buffer: out)
    }

    static let response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
        + "X-Hop: 1\r\nContent-Length: 5\r\nVia: 1.1 upstream\r\n\r\n"

    @Test func hopByHopFieldsGoViaIsAppendedAndExtraFieldsAreAdded() throws {
        #expect(try toClient(Self.response, extra: "X-Cache: MISS\r\n")
            == "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nVia: 1.1 upstream, 1.1 sasha\r\nX-Cache: MISS\r\n\r\n")
    }

    @Test func anHTTP10ClientIsAnsweredInHTTP10AndToldTheConnectionIsKept() throws {
        #expect(try toClient(Self.response, version: .http1_0)
            == "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nVia: 1.1 upstream, 1.1 sasha\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test func aClosingConnectionSaysClose() throws {
        for version in [ParsedHead.Version.http1_1, .http1_0] {
            let written = try toClient("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", version: version, keepAlive: false)
            #expect(written.hasSuffix("\r\nContent-Length: 0\r\nConnection: close\r\nVia: 1.0 sasha\r\n\r\n"))
        }
    }

    @Test func framingSurvivesBeingNamedInTheServersConnectionHeader() throws {
        let written = try toClient("HTTP/1.1 200 OK\r\nConnection: transfer-encoding, content-length\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(written == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nVia: 1.1 sasha\r\n\r\n")
    }

    @Test func aDechunkedResponseLosesTransferEncodingAndTrailerAndCloses() throws {
        let written = try toClient("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nContent-Type: a\r\n\r\n",
                                   version: .http1_0, dechunking: true)
        #expect(written == "HTTP/1.0 200 OK\r\nContent-Type: a\r\nConnection: close\r\nVia: 1.1 sasha\r\n\r\n")
    }

    /// Found by the fuzzer: a HEAD answer or a tunnel has no chunked body to undo, yet an
    /// HTTP/1.0 head must not carry Transfer-Encoding.
    @Test func anHTTP10ClientNeverSeesTransferEncodingEvenWithoutABody() throws {
        let written = try toClient("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n", version: .http1_0)
        #expect(written == "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nVia: 1.1 sasha\r\n\r\n")
        #expect(Wire.parse(written, .response) != nil)
    }

    @Test func aSwitchingProtocolsResponseKeepsItsUpgradeWhenAsked() throws {
        let message = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
        #expect(try toClient(message, keepingUpgrade: true)
            == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\nConnection: upgrade\r\nVia: 1.1 sasha\r\n\r\n")
    }

    @Test func aMissingReasonIsWrittenWithItsSpace() throws {
        #expect(try toClient("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n") == "HTTP/1.1 200 \r\nContent-Length: 0\r\nVia: 1.1 sasha\r\n\r\n")
    }

    @Test func whatIsWrittenScansAgainAsTheSameResponse() throws {
        for message in [Self.response, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", "HTTP/1.0 500 Oops\r\n\r\n"] {
            let original = try #require(Wire.parse(message, .response))
            let again = try #require(Wire.parse(try toClient(message, keepAlive: false), .response))
            #expect(again.head.status == original.head.status)
            #expect(again.text(again.head.reason) == original.text(original.head.reason))
            #expect(again.head.contentLength == original.head.contentLength)
            #expect(!again.head.keepAlive)
        }
    }

    @Test func theProxysOwnAnswersAreCompleteMessages() {
        func short(_ status: Int, _ reason: StaticString, body: String? = nil, closing: Bool = false, headOnly: Bool = false) -> String {
            var out = ByteBuffer()
            HeadWriter.writeShortResponse(status: status, reason: reason, body: body, closing: closing, headOnly: headOnly, into: &out)
            return String(buffer: out)
        }
        #expect(short(400, "Bad Request", closing: true)
            == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n")
        #expect(short(503, "Service Unavailable", body: "no server\n")
            == "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nno server\n")
        #expect(short(502, "Bad Gateway", headOnly: true) == "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n")
        #expect(short(100, "Continue") == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(short(204, "No Content", closing: true) == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    }
}
