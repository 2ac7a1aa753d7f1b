import HTTPWire
import Testing

/// The bytes of a connection arrive in pieces of any size. Whatever the cut, the proxy must see
/// the same messages, the same bodies and the same end of each: a difference is a message boundary
/// that depends on timing, the very thing request smuggling exploits.
@Suite struct SplitFeedTests {
    static let requestStreams: [Message] = [
        "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello worldGET /next HTTP/1.1\r\nHost: b\r\n\r\n",
        Message("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v a\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"
            + "DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"),
        "\r\nGET / HTTP/1.0\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\r\nGET /after-crlf HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /body HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcdTRACE / HTTP/1.1\r\nHost: a\r\n\r\n",
        // Hostile: the answer must not depend on the cut either.
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\rGET",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n \r\n\r\n",
    ]

    static let responseStreams: [Message] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n",
        Message("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x\r\npedia\r\n0\r\nExpires: never\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nread until close, even HTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{5}hello",
    ]

    func expectSameEveryWay(_ text: String, _ kind: ParsedHead.Kind) {
        let bytes = Array(text.utf8)
        let whole = MessageStream.events(bytes, kind: kind, cuts: [])
        #expect(!whole.isEmpty)
        for cut in 1..<bytes.count {
            let split = MessageStream.events(bytes, kind: kind, cuts: [cut])
            #expect(split == whole, "cut at \(cut) of \(text.debugDescription)")
            if split != whole { return }
        }
        #expect(MessageStream.events(bytes, kind: kind, cuts: Array(1..<bytes.count)) == whole, "byte by byte")
    }

    @Test(arguments: requestStreams)
    func requestsSplitAtEveryByteGiveTheSameMessages(_ stream: Message) {
        expectSameEveryWay(stream.text, .request)
    }

    @Test(arguments: responseStreams)
    func responsesSplitAtEveryByteGiveTheSameMessages(_ stream: Message) {
        expectSameEveryWay(stream.text, .response)
    }

    @Test func pipelinedRequestsAreReadAsSeparateMessagesWithTheirBodies() {
        let events = MessageStream.events(Array(Self.requestStreams[2].text.utf8), kind: .request, cuts: [])
        let chunked = "5;name=\"v a\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"
        #expect(events == [
            .head("POST /up", ["Host: a", "Transfer-Encoding: chunked"]),
            .body(verbatim: Array(chunked.utf8), payload: Array("hello world".utf8)),
            .head("DELETE /x", ["Host: a", "Content-Length: 2"]),
            .body(verbatim: Array("ok".utf8), payload: Array("ok".utf8)),
        ])
    }

    @Test func aBodylessResponseEndsAtItsHeadWhateverItsFieldsSay() {
        let events = MessageStream.events(Array(Self.responseStreams[0].text.utf8), kind: .response, cuts: [])
        #expect(events.count == 6)
        #expect(events[3] == .body(verbatim: [], payload: []))
        #expect(events[4] == .head("304 Not Modified", []))
    }

    @Test func hostileStreamsStopAtTheirFault() {
        #expect(MessageStream.events(Array(Self.requestStreams[5].text.utf8), kind: .request, cuts: []).last == .invalidBody("chunk data without CRLF"))
        #expect(MessageStream.events(Array(Self.requestStreams[6].text.utf8), kind: .request, cuts: []).last == .invalidHead(400))
        #expect(MessageStream.events(Array(Self.requestStreams[8].text.utf8), kind: .request, cuts: []).last == .invalidBody("obs-fold in trailer"))
    }
}
