import HTTPWire
import Testing

@Suite struct RequestHeadTests {
    @Test func anOriginFormRequestGivesItsPartsAsRangesOfTheReceivedBytes() throws {
        let scanned = try #require(Wire.parse("GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nAccept:  */*  \r\n\r\nBODY"))
        #expect(scanned.length == 60)
        #expect(scanned.head.kind == .request)
        #expect(scanned.head.method == .get)
        #expect(scanned.text(scanned.head.methodBytes) == "GET")
        #expect(scanned.text(scanned.head.target) == "/a/b?c=d")
        #expect(scanned.head.version == .http1_1)
        #expect(scanned.fields == ["Host: example.com", "Accept: */*"])
        #expect(scanned.text(scanned.head.host) == "example.com")
        #expect(scanned.head.fields.map(\.known) == [.host, .other])
        #expect(scanned.text(scanned.head.fields[1].line) == "Accept:  */*  \r\n")
        #expect(scanned.head.keepAlive)
        #expect(scanned.head.contentLength == nil)
        #expect(!scanned.head.isChunked)
    }

    @Test func theCommonMethodsAreRecognisedAndOthersKeepTheirBytes() throws {
        let methods: [(String, ParsedHead.Method)] = [
            ("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
            ("OPTIONS", .options), ("TRACE", .trace), ("PATCH", .patch),
        ]
        for (name, method) in methods {
            let scanned = try #require(Wire.parse("\(name) / HTTP/1.1\r\nHost: a\r\n\r\n"))
            #expect(scanned.head.method == method)
        }
        let purge = try #require(Wire.parse("PURGE / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(purge.head.method == .other(0..<5))
        // Methods are case-sensitive: `get` is not GET.
        let lower = try #require(Wire.parse("get / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(lower.head.method == .other(0..<3))
    }

    @Test func everyFormOfRequestTargetIsAcceptedWhereItBelongs() throws {
        let absolute = try #require(Wire.parse("GET http://example.com:8080/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        #expect(absolute.text(absolute.head.target) == "http://example.com:8080/x?y")
        let asterisk = try #require(Wire.parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(asterisk.text(asterisk.head.target) == "*")
        let authority = try #require(Wire.parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(authority.head.method == .connect)
        #expect(authority.text(authority.head.target) == "example.com:443")
        #expect(Wire.parse("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n") != nil)
        // What llhttp's strict mode lets through in a target, and so do we.
        #expect(Wire.parse("GET /a|b{c}^\"<> HTTP/1.1\r\nHost: a\r\n\r\n") != nil)
    }

    @Test func anHTTP10RequestNeedsNoHostAndKeepsAliveOnlyWhenItAsks() throws {
        let plain = try #require(Wire.parse("GET / HTTP/1.0\r\n\r\n"))
        #expect(plain.head.version == .http1_0)
        #expect(plain.head.host == nil)
        #expect(!plain.head.keepAlive)
        let kept = try #require(Wire.parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        #expect(kept.head.keepAlive)
    }

    @Test func connectionOptionsSayCloseKeepAliveUpgradeAndWhichFieldsAreThisHops() throws {
        let scanned = try #require(Wire.parse(
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, , TE,x-Secret\r\nConnection: Upgrade, content-length\r\nUpgrade: h2c, WebSocket/13\r\n\r\n"))
        let connection = scanned.head.connection
        #expect(connection.close && connection.upgrade && !connection.keepAlive)
        #expect(connection.namedFields.contains(.te))
        #expect(connection.namedFields.contains(.contentLength))
        #expect(!connection.namedFields.contains(.host))
        #expect(connection.otherNames.map { scanned.text($0) } == ["x-Secret"])
        #expect(!scanned.head.keepAlive)
        #expect(scanned.head.hasUpgrade && scanned.head.upgradesToWebSocket)
    }

    @Test func knownFieldsAreRecognisedWhateverTheirCase() throws {
        let names = ["HOST: a", "content-LENGTH: 0", "Connection: x", "keep-alive: 1", "Proxy-Connection: 1", "te: trailers",
                     "Trailer: x", "upgrade: x", "Expect: 100-continue", "VIA: 1.1 a", "X-Forwarded-For: 1",
                     "x-forwarded-proto: http", "Forwarded: for=1", "Cookie: a=b", "X-Other: 1", "Hosts: a"]
        let scanned = try #require(Wire.parse("GET / HTTP/1.1\r\n" + names.joined(separator: "\r\n") + "\r\n\r\n"))
        #expect(scanned.head.fields.map(\.known) == [
            .host, .contentLength, .connection, .keepAlive, .proxyConnection, .te, .trailer, .upgrade, .expect, .via,
            .xForwardedFor, .xForwardedProto, .forwarded, .cookie, .other, .other,
        ])
        #expect(scanned.head.expectsContinue)
    }

    @Test func theSameContentLengthRepeatedIsOneLength() throws {
        #expect(try #require(Wire.parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n")).head.contentLength == 1)
        #expect(try #require(Wire.parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 007\r\n\r\n")).head.contentLength == 7)
        #expect(try #require(Wire.parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n")).head.contentLength == .max)
        #expect(try #require(Wire.parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")).head.contentLength == 0)
    }

    @Test func transferEncodingEndingWithChunkedIsChunked() throws {
        let chunked = try #require(Wire.parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"))
        #expect(chunked.head.isChunked)
        let spread = try #require(Wire.parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: chunked ,\r\n\r\n"))
        #expect(spread.head.isChunked)
    }

    @Test func emptyLinesBeforeARequestLineAreSkippedAndCounted() throws {
        let scanned = try #require(Wire.parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(scanned.length == 31)
        #expect(scanned.text(scanned.head.methodBytes) == "GET")
        #expect(scanned.head.methodBytes == 4..<7)
    }

    @Test func hostValuesOfEveryValidShapeAreAccepted() {
        for host in ["example.com", "example.com:8080", "192.0.2.1", "[::1]", "[2001:db8::1]:80", "a%20b", "xn--bcher-kva.example", ""] {
            #expect(Wire.parse("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") != nil, "\(host)")
        }
    }

    @Test func fieldValuesMayHoldTabsAndObsText() throws {
        let scanned = try #require(Wire.parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\tb\u{e9}\r\nX-Empty:\r\n\r\n"))
        #expect(scanned.fields == ["Host: a", "X-A: a\tb\u{e9}", "X-Empty: "])
    }

    @Test func theScannerReusesItsStorageAndStartsAfreshAfterEachMessage() throws {
        var scanner = HeadScanner(kind: .request)
        let first = Array("GET /1 HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n".utf8)
        let second = Array("GET /2 HTTP/1.1\r\nHost: b\r\n\r\n".utf8)
        guard case .complete(let one, _) = first.withUnsafeBytes({ scanner.scan($0) }) else { Issue.record("first"); return }
        #expect(one.fields.count == 3)
        guard case .complete(let two, let length) = second.withUnsafeBytes({ scanner.scan($0) }) else { Issue.record("second"); return }
        #expect(two.fields.count == 1)
        #expect(length == second.count)
        #expect(one.fields.count == 3, "a head the caller keeps is its own")
    }
}
