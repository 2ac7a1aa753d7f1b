import HTTPWire
import Testing

@Suite struct HeadLimitTests {
    static func requestLine(targetLength: Int) -> String {
        "GET /" + String(repeating: "a", count: targetLength - 1) + " HTTP/1.1"
    }

    @Test func aRequestLineOfExactly8KiBIsAcceptedAndOneByteMoreIs414() throws {
        let fits = Self.requestLine(targetLength: 8192 - 13)
        #expect(fits.utf8.count == 8192)
        #expect(Wire.parse(fits + "\r\nHost: a\r\n\r\n") != nil)
        let over = Self.requestLine(targetLength: 8192 - 12)
        #expect(try #require(Wire.refusal(over + "\r\nHost: a\r\n\r\n")).status == 414)
    }

    @Test func aRequestLineOverTheLimitIs414BeforeItEnds() throws {
        let partial = "GET /" + String(repeating: "a", count: 8188)
        #expect(try #require(Wire.refusal(partial)).status == 414)
        // At the limit, the line may still end: a CR at the end is not counted.
        #expect(Wire.scan(String(partial.dropLast())).summary == "incomplete")
        #expect(Wire.scan(Self.requestLine(targetLength: 8192 - 13) + "\r").summary == "incomplete")
    }

    @Test func oneHundredFieldsAreAcceptedAndOneMoreIs431() throws {
        let hundred = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: 1\r\n", count: 99)
        #expect(Wire.parse(hundred + "\r\n") != nil)
        #expect(try #require(Wire.refusal(hundred + "X-A: 1\r\n\r\n")).status == 431)
        // Refused as soon as the 101st line has ended, without waiting for the head to.
        #expect(try #require(Wire.refusal(hundred + "X-A: 1\r\n")).status == 431)
    }

    @Test func aHeadOver16KiBIs431WhetherOrNotItHasEnded() throws {
        let fields = String(repeating: "X-Long: " + String(repeating: "v", count: 990) + "\r\n", count: 17)
        let head = "GET / HTTP/1.1\r\nHost: a\r\n" + fields
        #expect(try #require(Wire.refusal(head + "\r\n")).status == 431)
        #expect(try #require(Wire.refusal(head)).status == 431)
        let exact = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + String(repeating: "p", count: 16384 - 36) + "\r\n\r\n"
        #expect(exact.utf8.count == 16384)
        #expect(Wire.parse(exact) != nil)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: p" + String(repeating: "p", count: 16384 - 36) + "\r\n\r\n")).status == 431)
    }

    @Test func limitsAreTheCallersToChoose() throws {
        let limits = WireLimits(maxRequestLineBytes: 20, maxHeaderBytes: 64, maxFieldCount: 2)
        #expect(try #require(Wire.refusal("GET /aaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n", limits: limits)).status == 414)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits)).status == 431)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost: " + String(repeating: "a", count: 60), limits: limits)).status == 431)
    }

    @Test func aHeadFedByteByByteGivesTheSameAnswersAsFedWhole() {
        let messages = [
            "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n",
            "\r\nGET / HTTP/1.0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: \u{0}\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\rX: 1\r\n\r\n",
            "GET / HTTP/3.0\r\n\r\n",
        ]
        for message in messages {
            let bytes = Array(message.utf8)
            let whole = Wire.scan(message).summary
            var scanner = HeadScanner(kind: .request)
            var last = "incomplete"
            for end in 1...bytes.count where last == "incomplete" {
                last = bytes[0..<end].withUnsafeBytes { scanner.scan($0) }.summary
            }
            #expect(last == whole, "\(message.debugDescription)")
        }
    }

    /// A head of 1 MiB fed one byte at a time: quadratic work would be 5·10^11 byte visits and
    /// never finish within the limit; the scanner looks at each byte once.
    @Test(.timeLimit(.minutes(1)))
    func aHeadTricklingInByteByByteCostsLinearWork() {
        let limits = WireLimits(maxRequestLineBytes: 8192, maxHeaderBytes: 2 << 20, maxFieldCount: 100_000)
        let message = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: 0123456789abcdef\r\n", count: 45_000) + "\r\n"
        let bytes = Array(message.utf8)
        var scanner = HeadScanner(kind: .request, limits: limits)
        bytes.withUnsafeBytes { all in
            for end in 1..<all.count {
                guard case .incomplete = scanner.scan(UnsafeRawBufferPointer(rebasing: all[0..<end])) else {
                    Issue.record("ended early at \(end)")
                    return
                }
            }
            guard case .complete(let head, let length) = scanner.scan(all) else { Issue.record("no head"); return }
            #expect(length == all.count)
            #expect(head.fields.count == 45_001)
        }
    }
}
