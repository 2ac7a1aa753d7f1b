import HTTPWire
import Testing

@Suite struct FramingTests {
    func request(_ fields: String, method: String = "POST", version: String = "1.1") throws -> BodyFraming {
        let scanned = try #require(Wire.parse("\(method) / HTTP/\(version)\r\nHost: a\r\n\(fields)\r\n"))
        return MessageFraming.request(scanned.head)
    }

    func response(_ statusAndFields: String, to method: ParsedHead.Method = .get, version: String = "1.1") throws -> BodyFraming {
        let scanned = try #require(Wire.parse("HTTP/\(version) \(statusAndFields)\r\n", .response))
        return MessageFraming.response(scanned.head, to: method)
    }

    @Test func aRequestWithoutContentLengthOrChunkedHasNoBodyWhateverTheMethod() throws {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "FOO"] {
            #expect(try request("", method: method) == BodyFraming.none)
        }
    }

    @Test func aRequestWithContentLengthHasThatBodyWhateverTheMethod() throws {
        for method in ["GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "POST"] {
            #expect(try request("Content-Length: 5\r\n", method: method) == .contentLength(5))
        }
        #expect(try request("Content-Length: 0\r\n") == .contentLength(0))
    }

    @Test func aChunkedRequestIsChunked() throws {
        #expect(try request("Transfer-Encoding: chunked\r\n") == .chunked)
    }

    @Test func responsesToHEADAndBodilessStatusesHaveNoBodyWhateverTheFieldsSay() throws {
        #expect(try response("200 OK\r\nContent-Length: 10\r\n", to: .head) == BodyFraming.none)
        #expect(try response("200 OK\r\nTransfer-Encoding: chunked\r\n", to: .head) == BodyFraming.none)
        for status in ["100 Continue", "103 Early Hints", "204 No Content", "304 Not Modified"] {
            #expect(try response("\(status)\r\nContent-Length: 10\r\n") == BodyFraming.none, "\(status)")
        }
    }

    @Test func switchingProtocolsAndA2xxToCONNECTAreTunnels() throws {
        #expect(try response("101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n") == .tunnel)
        #expect(try response("200 Connection Established\r\n", to: .connect) == .tunnel)
        #expect(try response("407 Proxy Authentication Required\r\nContent-Length: 0\r\n", to: .connect) == .contentLength(0))
    }

    @Test func otherResponsesAreChunkedSizedOrReadUntilClose() throws {
        #expect(try response("200 OK\r\nTransfer-Encoding: chunked\r\n") == .chunked)
        #expect(try response("200 OK\r\nContent-Length: 12\r\n") == .contentLength(12))
        #expect(try response("200 OK\r\n") == .untilClose)
        #expect(try response("200 OK\r\n", version: "1.0") == .untilClose)
    }
}
